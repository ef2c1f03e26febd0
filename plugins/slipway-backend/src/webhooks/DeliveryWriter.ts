import { LoggerService } from '@backstage/backend-plugin-api';
import { ServiceUnavailableError } from '@backstage/errors';
import type { OasisEvent } from '@slipway/plugin-slipway-common';
import { Knex } from 'knex';
import { OasisEventStore } from '../oasis/OasisEventStore';
import { caseOf, insertGithubEvents, KeyedEvent } from './keyedEvents';

/** What a delivery came to. */
export type DeliveryResult = 'stored' | 'ignored' | 'failed';

/** A verified and mapped delivery, ready to store. */
export interface DeliveryRecord {
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
  events: KeyedEvent[];
  /** `webhook_sources` rows to upsert: pings and hook liveness. */
  sources: Array<Record<string, unknown>>;
}

/** Whether a delivery was new, and the events it stored. */
export type WriteOutcome =
  | { duplicate: true }
  | { duplicate: false; events: OasisEvent[] };

/** Options of {@link DeliveryWriter}. */
export interface DeliveryWriterOptions {
  store: OasisEventStore;
  logger?: LoggerService;
  /** Most deliveries in one transaction. */
  maxBatch?: number;
  /** Most payload bytes in one transaction (at least one delivery). */
  maxBatchBytes?: number;
  /**
   * Most payload bytes waiting for or in a transaction. Beyond it (the
   * database is stalled) a delivery is refused with 503 rather than held:
   * memory stays bounded and GitHub can redeliver it.
   */
  maxPendingBytes?: number;
}

/** Deliveries per insert statement. */
const DELIVERY_CHUNK = 100;

interface Queued {
  record: DeliveryRecord;
  resolve(outcome: WriteOutcome): void;
  reject(error: unknown): void;
}

/**
 * Stores deliveries with group commit: whatever arrives while a transaction
 * is in flight is written by the next one, in a handful of statements for
 * the whole batch. A delivery alone waits for nothing; under load the cost
 * per delivery falls with the batch size. Each caller's promise resolves
 * only after the transaction holding its delivery has committed.
 */
export class DeliveryWriter {
  readonly #store: OasisEventStore;
  readonly #logger?: LoggerService;
  readonly #maxBatch: number;
  readonly #maxBatchBytes: number;
  readonly #maxPendingBytes: number;
  #pendingBytes = 0;
  #queue: Queued[] = [];
  #draining: Promise<void> | undefined;

  constructor(options: DeliveryWriterOptions) {
    this.#store = options.store;
    this.#logger = options.logger;
    this.#maxBatch = options.maxBatch ?? 200;
    this.#maxBatchBytes = options.maxBatchBytes ?? 8 * 1024 * 1024;
    this.#maxPendingBytes = options.maxPendingBytes ?? 64 * 1024 * 1024;
  }

  /** Payload bytes waiting for or in a transaction. */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /** Stores one delivery; resolves once it is durable. */
  write(record: DeliveryRecord): Promise<WriteOutcome> {
    const bytes = record.payload.length;
    if (
      this.#pendingBytes > 0 &&
      this.#pendingBytes + bytes > this.#maxPendingBytes
    ) {
      return Promise.reject(
        new ServiceUnavailableError(
          `Delivery ${record.deliveryId} not stored: ${Math.round(
            this.#pendingBytes / 1024,
          )} KiB of earlier deliveries are still waiting for the database. Nothing of it was kept; redeliver it from the hook's Recent Deliveries once the database answers again.`,
        ),
      );
    }
    this.#pendingBytes += bytes;
    const settle = () => {
      this.#pendingBytes -= bytes;
    };
    return new Promise<WriteOutcome>((resolve, reject) => {
      this.#queue.push({
        record,
        resolve: outcome => {
          settle();
          resolve(outcome);
        },
        reject: error => {
          settle();
          reject(error);
        },
      });
      // setImmediate: requests read in the same turn share the first batch.
      this.#draining ??= new Promise<void>(next => setImmediate(next)).then(
        () => this.#drain(),
      );
    });
  }

  /** Resolves once everything queued so far is written. */
  async flush(): Promise<void> {
    while (this.#draining) {
      await this.#draining;
    }
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#take();
        await this.#writeBatch(batch).catch(error => {
          // Not a database refusal (those are handled per delivery): a bug.
          this.#logger?.error('Storing webhook deliveries failed', error);
          batch.forEach(q => q.reject(error));
        });
      }
    } finally {
      this.#draining = undefined;
    }
  }

  #take(): Queued[] {
    let bytes = 0;
    let n = 0;
    while (n < this.#queue.length && n < this.#maxBatch) {
      bytes += this.#queue[n].record.payload.length;
      if (n > 0 && bytes > this.#maxBatchBytes) break;
      n++;
    }
    return this.#queue.splice(0, n);
  }

  async #writeBatch(batch: Queued[]): Promise<void> {
    let outcomes: WriteOutcome[];
    try {
      outcomes = await this.#store.knex.transaction(trx =>
        writeDeliveries(
          trx,
          this.#store,
          batch.map(q => q.record),
        ),
      );
    } catch (error) {
      if (batch.length === 1) {
        batch[0].reject(error);
        return;
      }
      // One delivery the database refuses must not fail the others.
      this.#logger?.warn(
        `Storing ${batch.length} webhook deliveries together failed (${error}); storing them one by one`,
      );
      for (const item of batch) {
        await this.#writeBatch([item]);
      }
      return;
    }
    const events = outcomes
      .flatMap(o => (o.duplicate ? [] : o.events))
      .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
    this.#store.afterCommit(events);
    batch.forEach((q, i) => q.resolve(outcomes[i]));
  }
}

/**
 * Writes a batch of deliveries in the caller's transaction: the delivery
 * rows (a delivery id already stored, or earlier in the batch, is a
 * duplicate and writes nothing), the events of the new ones with their
 * auto-deploy triggers (the outbox a trigger worker acts on, so a trigger
 * is never lost between this commit and the action), their event ids, and
 * the hook sources. Returns one outcome per record, in order.
 */
export async function writeDeliveries(
  trx: Knex.Transaction,
  store: OasisEventStore,
  records: DeliveryRecord[],
): Promise<WriteOutcome[]> {
  const first = new Map<string, number>();
  records.forEach((r, i) => {
    if (!first.has(r.deliveryId)) first.set(r.deliveryId, i);
  });
  // Sorted, so concurrent instances lock delivery ids in one order.
  const unique = [...first.values()].sort((a, b) =>
    records[a].deliveryId < records[b].deliveryId ? -1 : 1,
  );
  const inserted = new Set<string>();
  for (let i = 0; i < unique.length; i += DELIVERY_CHUNK) {
    const rows: Array<{ delivery_id: string }> = await trx('webhook_deliveries')
      .insert(
        unique.slice(i, i + DELIVERY_CHUNK).map(j => deliveryRow(records[j])),
      )
      .onConflict('delivery_id')
      .ignore()
      .returning('delivery_id');
    rows.forEach(r => inserted.add(r.delivery_id));
  }
  const isNew = (r: DeliveryRecord, i: number) =>
    first.get(r.deliveryId) === i && inserted.has(r.deliveryId);

  const keyed: KeyedEvent[] = [];
  records.forEach((r, i) => {
    if (isNew(r, i)) keyed.push(...r.events);
  });
  const stored = await insertGithubEvents(trx, store, keyed);

  let offset = 0;
  const eventIds: Array<[string, string]> = [];
  const outcomes = records.map((r, i): WriteOutcome => {
    if (!isNew(r, i)) return { duplicate: true };
    const events = stored
      .slice(offset, offset + r.events.length)
      .filter((e): e is OasisEvent => e !== undefined);
    offset += r.events.length;
    if (events.length > 0) {
      eventIds.push([r.deliveryId, JSON.stringify(events.map(e => e.id))]);
    }
    return { duplicate: false, events };
  });
  for (let i = 0; i < eventIds.length; i += DELIVERY_CHUNK) {
    const chunk = eventIds.slice(i, i + DELIVERY_CHUNK);
    await trx('webhook_deliveries')
      .whereIn(
        'delivery_id',
        chunk.map(([id]) => id),
      )
      .update({ event_ids: caseOf(trx, 'delivery_id', chunk) });
  }

  await upsertSources(
    trx,
    records.filter(isNew).flatMap(r => r.sources),
  );
  return outcomes;
}

function deliveryRow(r: DeliveryRecord) {
  return {
    delivery_id: r.deliveryId,
    event: r.event,
    action: r.action,
    hook_id: r.hookId,
    repo: r.repo,
    received_at: r.receivedAt,
    payload: r.payload,
    result: r.result,
    error: r.error,
    processed_at: r.receivedAt,
    event_ids: '[]',
  };
}

/**
 * Upserts hook sources; each row sets only its non-null fields, so a
 * delivery's liveness never clears the time of an earlier ping.
 */
async function upsertSources(
  trx: Knex.Transaction,
  rows: Array<Record<string, unknown>>,
) {
  const merged = new Map<string, Record<string, unknown>>();
  for (const row of rows) {
    const key = String(row.source_key);
    const fields = Object.fromEntries(
      Object.entries(row).filter(([, v]) => v !== null && v !== undefined),
    );
    merged.set(key, { ...merged.get(key), ...fields });
  }
  for (const [, row] of [...merged].sort(([a], [b]) => (a < b ? -1 : 1))) {
    await trx('webhook_sources')
      .insert(row)
      .onConflict('source_key')
      .merge(Object.keys(row).filter(k => k !== 'source_key'));
  }
}
