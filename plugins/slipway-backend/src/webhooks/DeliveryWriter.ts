import { LoggerService } from '@backstage/backend-plugin-api';
import { ServiceUnavailableError } from '@backstage/errors';
import type { OasisEvent } from '@slipway/plugin-slipway-common';
import { Knex } from 'knex';
import { insertGithubEvents, KeyedEvent } from './keyedEvents';
import type { WebhookStores } from './stores';
import type { NewDelivery } from './WebhookDeliveryStore';
import type { WebhookSourceTouch } from './WebhookSourceStore';

export type { DeliveryResult } from './WebhookDeliveryStore';

/** A verified and mapped delivery, ready to store. */
export interface DeliveryRecord extends NewDelivery {
  events: KeyedEvent[];
  /** What it tells about its hook's source: pings and hook liveness. */
  sources: WebhookSourceTouch[];
}

/** Whether a delivery was new, and the events it stored. */
export type WriteOutcome =
  | { duplicate: true }
  | { duplicate: false; events: OasisEvent[] };

/** Options of {@link DeliveryWriter}. */
export interface DeliveryWriterOptions {
  stores: WebhookStores;
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
  readonly #stores: WebhookStores;
  readonly #logger?: LoggerService;
  readonly #maxBatch: number;
  readonly #maxBatchBytes: number;
  readonly #maxPendingBytes: number;
  #pendingBytes = 0;
  #queue: Queued[] = [];
  #draining: Promise<void> | undefined;

  constructor(options: DeliveryWriterOptions) {
    this.#stores = options.stores;
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
      outcomes = await this.#stores.events.knex.transaction(trx =>
        writeDeliveries(
          trx,
          this.#stores,
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
    this.#stores.events.afterCommit(events);
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
  stores: WebhookStores,
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
  const inserted = await stores.deliveries.insertNew(
    unique.map(j => records[j]),
    { trx },
  );
  const isNew = (r: DeliveryRecord, i: number) =>
    first.get(r.deliveryId) === i && inserted.has(r.deliveryId);

  const keyed: KeyedEvent[] = [];
  records.forEach((r, i) => {
    if (isNew(r, i)) keyed.push(...r.events);
  });
  const stored = await insertGithubEvents(trx, stores, keyed);

  let offset = 0;
  const eventIds: Array<{ deliveryId: string; eventIds: string[] }> = [];
  const outcomes = records.map((r, i): WriteOutcome => {
    if (!isNew(r, i)) return { duplicate: true };
    const events = stored
      .slice(offset, offset + r.events.length)
      .filter((e): e is OasisEvent => e !== undefined);
    offset += r.events.length;
    if (events.length > 0) {
      eventIds.push({
        deliveryId: r.deliveryId,
        eventIds: events.map(e => e.id),
      });
    }
    return { duplicate: false, events };
  });
  await stores.deliveries.setEventIds(eventIds, { trx });
  await stores.sources.touch(
    records.filter(isNew).flatMap(r => r.sources),
    { trx },
  );
  return outcomes;
}
