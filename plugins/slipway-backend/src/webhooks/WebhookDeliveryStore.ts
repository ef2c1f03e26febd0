import type { Page } from '@slipway/plugin-slipway-common';
import { Knex } from 'knex';
import { insertNew, setEach } from '../database/bulk';
import { deleteInBatches } from '../database/deleteInBatches';
import type { InTransaction } from '../database/InTransaction';
import { decodeCursor, encodeCursor } from '../oasis/cursor';
import { toDate } from '../oasis/rows';

const TABLE = 'webhook_deliveries';

/** Deliveries per statement. */
const CHUNK = 100;

/** What a delivery came to. */
export type DeliveryResult = 'stored' | 'ignored' | 'failed';

/** A received delivery, as `GET /deliveries` lists it. */
export interface WebhookDelivery {
  id: string;
  event: string;
  action: string | null;
  hookId: string | null;
  repo: string | null;
  receivedAt: string;
  processedAt: string | null;
  result: DeliveryResult;
  eventIds: string[];
  error: string | null;
  payload?: unknown;
}

/** A verified delivery to store, as it was received and mapped. */
export interface NewDelivery {
  deliveryId: string;
  event: string;
  action: string | null;
  hookId: string | null;
  repo: string | null;
  /** The payload as received (JSON text). */
  payload: string;
  result: DeliveryResult;
  error: string | null;
  receivedAt: Date;
}

/** What reprocessing a delivery decided, to record on it. */
export interface ReprocessedDelivery {
  result: DeliveryResult;
  error: string | null;
  repo: string | null;
  eventIds: string[];
  processedAt: Date;
}

/**
 * The received GitHub deliveries (`webhook_deliveries`), one row per
 * delivery id: the unique key makes a redelivery a no-op, whichever
 * instance receives it.
 */
export interface WebhookDeliveryStore {
  /**
   * Inserts the deliveries in the caller's transaction, leaving out every
   * delivery id already stored (by anyone); returns the ids this
   * transaction inserted. Pass each id once, sorted, so concurrent
   * instances lock delivery ids in one order.
   */
  insertNew(
    deliveries: NewDelivery[],
    options: InTransaction,
  ): Promise<Set<string>>;
  /** Records the events each delivery stored, in the caller's transaction. */
  setEventIds(
    entries: Array<{ deliveryId: string; eventIds: string[] }>,
    options: InTransaction,
  ): Promise<void>;
  /** Records the outcome of a reprocessing, in the caller's transaction. */
  recordReprocessed(
    deliveryId: string,
    outcome: ReprocessedDelivery,
    options: InTransaction,
  ): Promise<void>;
  /** One delivery (with its parsed payload when asked), or undefined. */
  get(
    deliveryId: string,
    options?: { withPayload?: boolean },
  ): Promise<WebhookDelivery | undefined>;
  /** A page of deliveries without payloads, newest first, by keyset on id. */
  list(
    filter: { result?: DeliveryResult },
    page: { limit: number; cursor?: string },
  ): Promise<Page<WebhookDelivery>>;
  /** Deletes deliveries received before the cutoff; returns the count. */
  deleteOlderThan(cutoff: Date): Promise<number>;
}

interface DeliveryRow {
  id: number | string;
  delivery_id: string;
  event: string;
  action: string | null;
  hook_id: string | null;
  repo: string | null;
  received_at: Date | string | number;
  processed_at: Date | string | number | null;
  payload?: string;
  result: string;
  event_ids: string;
  error: string | null;
}

/** The columns a list reads: all but the payload. */
const LIST_COLUMNS = [
  'id',
  'delivery_id',
  'event',
  'action',
  'hook_id',
  'repo',
  'received_at',
  'processed_at',
  'result',
  'event_ids',
  'error',
];

function toDelivery(row: DeliveryRow, withPayload = false): WebhookDelivery {
  const delivery: WebhookDelivery = {
    id: row.delivery_id,
    event: row.event,
    action: row.action,
    hookId: row.hook_id,
    repo: row.repo,
    receivedAt: toDate(row.received_at).toISOString(),
    processedAt: row.processed_at
      ? toDate(row.processed_at).toISOString()
      : null,
    result: row.result as DeliveryResult,
    eventIds: JSON.parse(row.event_ids || '[]'),
    error: row.error,
  };
  if (withPayload && row.payload !== undefined) {
    delivery.payload = JSON.parse(row.payload);
  }
  return delivery;
}

function toRow(d: NewDelivery) {
  return {
    delivery_id: d.deliveryId,
    event: d.event,
    action: d.action,
    hook_id: d.hookId,
    repo: d.repo,
    received_at: d.receivedAt,
    payload: d.payload,
    result: d.result,
    error: d.error,
    processed_at: d.receivedAt,
    event_ids: '[]',
  };
}

/** {@link WebhookDeliveryStore} on the plugin's database. */
export class KnexWebhookDeliveryStore implements WebhookDeliveryStore {
  readonly #knex: Knex;
  readonly #isPostgres: boolean;

  constructor(knex: Knex) {
    this.#knex = knex;
    this.#isPostgres = knex.client.config.client === 'pg';
  }

  async insertNew(
    deliveries: NewDelivery[],
    { trx }: InTransaction,
  ): Promise<Set<string>> {
    return insertNew(trx, TABLE, 'delivery_id', deliveries.map(toRow), CHUNK);
  }

  async setEventIds(
    entries: Array<{ deliveryId: string; eventIds: string[] }>,
    { trx }: InTransaction,
  ): Promise<void> {
    const pairs = entries.map((e): [string, string] => [
      e.deliveryId,
      JSON.stringify(e.eventIds),
    ]);
    await setEach(trx, TABLE, 'delivery_id', 'event_ids', pairs, CHUNK);
  }

  async recordReprocessed(
    deliveryId: string,
    outcome: ReprocessedDelivery,
    { trx }: InTransaction,
  ): Promise<void> {
    await trx(TABLE)
      .where('delivery_id', deliveryId)
      .update({
        result: outcome.result,
        error: outcome.error,
        repo: outcome.repo,
        event_ids: JSON.stringify(outcome.eventIds),
        processed_at: outcome.processedAt,
      });
  }

  async get(
    deliveryId: string,
    options: { withPayload?: boolean } = {},
  ): Promise<WebhookDelivery | undefined> {
    const row: DeliveryRow | undefined = await this.#knex(TABLE)
      .where('delivery_id', deliveryId)
      .first();
    return row ? toDelivery(row, options.withPayload) : undefined;
  }

  async list(
    filter: { result?: DeliveryResult },
    page: { limit: number; cursor?: string },
  ): Promise<Page<WebhookDelivery>> {
    const query = this.#knex(TABLE)
      .select(...LIST_COLUMNS)
      .orderBy('id', 'desc')
      .limit(page.limit + 1);
    if (filter.result !== undefined) {
      query.where('result', filter.result);
    }
    if (page.cursor !== undefined) {
      const id = decodeCursor(page.cursor);
      query.where('id', '<', this.#isPostgres ? id.toString() : Number(id));
    }
    const rows: DeliveryRow[] = await query;
    const kept = rows.slice(0, page.limit);
    const items = kept.map(row => toDelivery(row));
    return rows.length > page.limit
      ? { items, nextCursor: encodeCursor(String(kept[kept.length - 1].id)) }
      : { items };
  }

  async deleteOlderThan(cutoff: Date): Promise<number> {
    return deleteInBatches(this.#knex, TABLE, 'id', 'received_at', cutoff);
  }
}
