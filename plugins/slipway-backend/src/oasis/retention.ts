import type { WebhookDeliveryStore } from '../webhooks/WebhookDeliveryStore';
import type { OasisEventKeyStore } from './OasisEventKeyStore';
import type { OasisEventStore } from './OasisEventStore';

/** Removed rows of one retention run. */
export interface RetentionReport {
  events: number;
  deliveries: number;
  keys: number;
}

/**
 * Deletes events, deliveries and dedup keys older than the retention
 * period (`slipway.events.retentionDays`, default 90), each through the
 * store that owns its table, in batches so a large backlog never holds one
 * long transaction.
 */
export async function applyRetention(options: {
  events: Pick<OasisEventStore, 'deleteOlderThan'>;
  deliveries: Pick<WebhookDeliveryStore, 'deleteOlderThan'>;
  keys: Pick<OasisEventKeyStore, 'deleteOlderThan'>;
  retentionDays: number;
  now?: Date;
}): Promise<RetentionReport> {
  const { retentionDays } = options;
  const cutoff = new Date(
    (options.now ?? new Date()).getTime() - retentionDays * 86_400_000,
  );
  const events = await options.events.deleteOlderThan(cutoff);
  const deliveries = await options.deliveries.deleteOlderThan(cutoff);
  const keys = await options.keys.deleteOlderThan(cutoff);
  return { events, deliveries, keys };
}
