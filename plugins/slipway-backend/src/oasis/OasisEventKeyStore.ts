import { Knex } from 'knex';
import { insertNew, setEach } from '../database/bulk';
import { deleteInBatches } from '../database/deleteInBatches';
import type { InTransaction } from '../database/InTransaction';

const TABLE = 'oasis_event_keys';

/** Rows per statement, far below the bind-parameter limits of both drivers. */
const CHUNK = 500;

/**
 * The dedup keys of OASIS events (`oasis_event_keys`): one row per fact,
 * whoever saw it first (a delivery or the polling fallback). The database's
 * unique key on `dedup_key` decides between racing writers.
 */
export interface OasisEventKeyStore {
  /**
   * Claims the keys for events about to be inserted (their event id is 0
   * until {@link OasisEventKeyStore.pointAt}); returns the keys this
   * transaction got. A key already taken is left as it is. Pass the keys
   * sorted, so concurrent writers take key locks in one order.
   */
  claim(keys: string[], at: Date, options: InTransaction): Promise<Set<string>>;
  /** Points claimed keys at their stored events (`[key, eventId]`). */
  pointAt(
    pointers: Array<[string, string]>,
    options: InTransaction,
  ): Promise<void>;
  /** Frees the keys of events about to be deleted (reprocessing). */
  deleteForEvents(eventIds: string[], options: InTransaction): Promise<void>;
  /** Deletes keys created before the cutoff, in batches; returns the count. */
  deleteOlderThan(cutoff: Date): Promise<number>;
}

/** {@link OasisEventKeyStore} on the plugin's database (SQLite or PostgreSQL). */
export class KnexOasisEventKeyStore implements OasisEventKeyStore {
  readonly #knex: Knex;

  constructor(knex: Knex) {
    this.#knex = knex;
  }

  async claim(
    keys: string[],
    at: Date,
    { trx }: InTransaction,
  ): Promise<Set<string>> {
    return insertNew(
      trx,
      TABLE,
      'dedup_key',
      keys.map(key => ({ dedup_key: key, event_id: 0, created_at: at })),
      CHUNK,
    );
  }

  async pointAt(
    pointers: Array<[string, string]>,
    { trx }: InTransaction,
  ): Promise<void> {
    await setEach(
      trx,
      TABLE,
      'dedup_key',
      'event_id',
      pointers,
      CHUNK,
      'bigint',
    );
  }

  async deleteForEvents(
    eventIds: string[],
    { trx }: InTransaction,
  ): Promise<void> {
    await trx(TABLE).whereIn('event_id', eventIds).delete();
  }

  async deleteOlderThan(cutoff: Date): Promise<number> {
    return deleteInBatches(
      this.#knex,
      TABLE,
      'dedup_key',
      'created_at',
      cutoff,
    );
  }
}
