import { Knex } from 'knex';

/**
 * The caller's transaction, for a store method that must write with the
 * caller's other stores atomically (`store.insert(rows, { trx })`).
 */
export interface InTransaction {
  trx: Knex.Transaction;
}
