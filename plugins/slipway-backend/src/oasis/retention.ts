import { Knex } from 'knex';
import { OasisEventStore } from './OasisEventStore';

/** Removed rows of one retention run. */
export interface RetentionReport {
  events: number;
  deliveries: number;
  keys: number;
}

/**
 * Deletes events, deliveries and dedup keys older than the retention
 * period (`slipway.events.retentionDays`, default 90), in batches so a large
 * backlog never holds one long transaction.
 */
export async function applyRetention(options: {
  store: OasisEventStore;
  retentionDays: number;
  now?: Date;
}): Promise<RetentionReport> {
  const { store, retentionDays } = options;
  const cutoff = new Date(
    (options.now ?? new Date()).getTime() - retentionDays * 86_400_000,
  );
  const events = await store.deleteOlderThan(cutoff);
  const deliveries = await deleteInBatches(
    store.knex,
    'webhook_deliveries',
    'id',
    'received_at',
    cutoff,
  );
  const keys = await deleteInBatches(
    store.knex,
    'oasis_event_keys',
    'dedup_key',
    'created_at',
    cutoff,
  );
  return { events, deliveries, keys };
}

async function deleteInBatches(
  knex: Knex,
  table: string,
  key: string,
  column: string,
  cutoff: Date,
): Promise<number> {
  let total = 0;
  for (;;) {
    const ids = await knex(table)
      .where(column, '<', cutoff)
      .limit(5000)
      .pluck(key);
    if (ids.length === 0) {
      return total;
    }
    await knex(table).whereIn(key, ids).delete();
    total += ids.length;
  }
}
