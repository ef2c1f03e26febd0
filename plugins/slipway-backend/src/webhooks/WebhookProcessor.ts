import { LoggerService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import type { OasisEvent } from '@slipway/plugin-slipway-common';
import { Knex } from 'knex';
import { EntityRefResolver } from '../oasis/EntityRefResolver';
import { MappedDelivery, mapGithubDelivery } from '../oasis/githubMapping';
import { PreparedEvent, prepareEvent } from '../oasis/OasisEventStore';
import { rowToEvent } from '../oasis/rows';
import { VtidExtractor } from '../oasis/vtid';
import { DeliveryWriter } from './DeliveryWriter';
import { insertGithubEvents, KeyedEvent } from './keyedEvents';
import type { WebhookStores } from './stores';
import type { DeliveryResult, WebhookDelivery } from './WebhookDeliveryStore';
import type { WebhookSourceTouch } from './WebhookSourceStore';

export type { DeliveryResult, WebhookDelivery } from './WebhookDeliveryStore';

/** How often one instance records that a repository's hook is alive. */
const SOURCE_TOUCH_INTERVAL_MS = 5_000;

/**
 * Persists GitHub deliveries and the OASIS events they map to (each
 * delivery atomically with its events, in batches under load), and keeps
 * the state of each webhook source.
 */
export class WebhookProcessor {
  readonly #knex: Knex;
  readonly #stores: WebhookStores;
  readonly #writer: DeliveryWriter;
  readonly #entityRefs: EntityRefResolver;
  readonly #vtid: VtidExtractor;
  readonly #logger?: LoggerService;
  readonly #touched = new Map<string, number>();

  constructor(options: {
    /** Every table a delivery writes goes through its store. */
    stores: WebhookStores;
    entityRefs: EntityRefResolver;
    vtid: VtidExtractor;
    logger?: LoggerService;
  }) {
    this.#stores = options.stores;
    // Only to begin transactions that span the stores.
    this.#knex = options.stores.events.knex;
    this.#entityRefs = options.entityRefs;
    this.#vtid = options.vtid;
    this.#logger = options.logger;
    this.#writer = new DeliveryWriter({
      stores: options.stores,
      logger: options.logger,
    });
  }

  /** Resolves once every delivery received so far is stored. */
  async flush(): Promise<void> {
    await this.#writer.flush();
  }

  /**
   * Stores one verified delivery. Resolves once it is durable; `duplicate`
   * when the delivery id was received before (nothing is written).
   */
  async receive(delivery: {
    deliveryId: string;
    event: string;
    hookId?: string;
    payload: Record<string, any>;
    rawPayload: string;
  }): Promise<{ result: DeliveryResult | 'duplicate'; events: OasisEvent[] }> {
    const { mapped, events, result, error } = await this.#map(
      delivery.event,
      delivery.payload,
      delivery.deliveryId,
    );
    const now = new Date();
    const outcome = await this.#writer.write({
      deliveryId: delivery.deliveryId,
      event: delivery.event,
      action:
        typeof delivery.payload.action === 'string'
          ? delivery.payload.action.slice(0, 64)
          : null,
      hookId: delivery.hookId ?? hookIdOf(delivery.payload),
      repo: mapped.repo,
      payload: delivery.rawPayload,
      result,
      error,
      receivedAt: now,
      events,
      sources: this.#sourcesTouched(
        delivery.event,
        delivery.payload,
        mapped.repo,
        now,
      ),
    });
    if (outcome.duplicate) {
      return { result: 'duplicate', events: [] };
    }
    return { result, events: outcome.events };
  }

  /**
   * Maps a stored delivery again (after a mapping fix or a catalog change)
   * and replaces its events when the outcome differs. Running it twice
   * changes nothing the second time.
   */
  async reprocess(deliveryId: string): Promise<{
    delivery: WebhookDelivery;
    changed: boolean;
    events: OasisEvent[];
  }> {
    const { deliveries, events: eventStore, keys } = this.#stores;
    const row = await deliveries.get(deliveryId, { withPayload: true });
    if (!row) {
      throw new NotFoundError(
        `No webhook delivery '${deliveryId}': GET /deliveries lists the stored ones`,
      );
    }
    const { mapped, events, result, error } = await this.#map(
      row.event,
      row.payload as Record<string, any>,
      deliveryId,
    );
    const oldIds = row.eventIds;

    const outcome = await this.#knex.transaction(async trx => {
      const old = oldIds.length ? await eventStore.readIds(trx, oldIds) : [];
      const same =
        result === row.result &&
        error === row.error &&
        old.length === events.length &&
        old.every((e, i) => sameEvent(e, events[i].row));
      if (same) {
        return { changed: false, events: old, fresh: [] as OasisEvent[] };
      }
      await keys.deleteForEvents(oldIds, { trx });
      await eventStore.deleteEvents(trx, oldIds);
      const fresh = await this.#insertKeyed(trx, events);
      await deliveries.recordReprocessed(
        deliveryId,
        {
          result,
          error,
          repo: mapped.repo,
          eventIds: fresh.map(e => e.id),
          processedAt: new Date(),
        },
        { trx },
      );
      return { changed: true, events: fresh, fresh };
    });
    eventStore.afterCommit(outcome.fresh);
    const updated = await deliveries.get(deliveryId);
    return {
      delivery: updated!,
      changed: outcome.changed,
      events: outcome.events,
    };
  }

  /**
   * Stores events that did not come from a webhook delivery (Slipway's own
   * polling fallback), deduplicated against the webhook's by their keys;
   * like a delivery's, they record their auto-deploy triggers.
   */
  async ingest(mapped: MappedDelivery): Promise<OasisEvent[]> {
    if (mapped.events.length === 0) {
      return [];
    }
    const keyed = await this.#prepare(mapped);
    const events = await this.#knex.transaction(trx =>
      this.#insertKeyed(trx, keyed),
    );
    this.#stores.events.afterCommit(events);
    return events;
  }

  /**
   * The stored ones of `events`, leaving out those deduplicated; their
   * auto-deploy triggers are recorded in the same transaction.
   */
  async #insertKeyed(
    trx: Knex.Transaction,
    events: KeyedEvent[],
  ): Promise<OasisEvent[]> {
    const stored = await insertGithubEvents(trx, this.#stores, events);
    return stored.filter((e): e is OasisEvent => e !== undefined);
  }

  /**
   * Maps a delivery to events, with their catalog entity, checked and laid
   * out as rows; a mapping that throws or yields an invalid event makes the
   * delivery `failed` (stored, and reprocessable after a fix).
   */
  async #map(event: string, payload: Record<string, any>, deliveryId: string) {
    try {
      const mapped = mapGithubDelivery(event, payload, {
        deliveryId,
        vtid: this.#vtid,
      });
      const events = await this.#prepare(mapped);
      return { mapped, events, result: mapped.result, error: null };
    } catch (error) {
      this.#logger?.error(
        `Mapping GitHub delivery ${deliveryId} (${event}) failed; it is stored and can be reprocessed`,
        error as Error,
      );
      const repo = payload?.repository?.full_name;
      return {
        mapped: {
          result: 'ignored' as const,
          repo: typeof repo === 'string' ? repo : null,
          events: [],
        },
        events: [],
        result: 'failed' as const,
        error: String(error).slice(0, 2000),
      };
    }
  }

  /**
   * The mapped events as rows to insert, with the catalog entity of their
   * repository; throws InputError for an event the table would refuse.
   */
  async #prepare(mapped: MappedDelivery): Promise<KeyedEvent[]> {
    if (mapped.events.length === 0) {
      return [];
    }
    const entityRef = await this.#entityRefs.forRepo(mapped.repo);
    return mapped.events.map(e => ({
      row: prepareEvent({
        ...e.input,
        entityRef: e.input.entityRef ?? entityRef,
      }),
      dedupKey: e.dedupKey,
    }));
  }

  /**
   * The hook sources a delivery updates: a ping marks its repository or
   * organization connected; other deliveries record the repository's hook
   * as alive, at most every few seconds per repository and instance.
   */
  #sourcesTouched(
    event: string,
    payload: Record<string, any>,
    repo: string | null,
    now: Date,
  ): WebhookSourceTouch[] {
    const hookId = hookIdOf(payload);
    if (event === 'ping') {
      const org = payload.organization?.login;
      let key: string | undefined;
      if (repo) {
        key = `repo:${repo.toLowerCase()}`;
      } else if (typeof org === 'string') {
        key = `org:${org.toLowerCase()}`;
      }
      return key
        ? [
            {
              sourceKey: key,
              hookId,
              pingedAt: now,
              lastDeliveryAt: now,
            },
          ]
        : [];
    }
    if (!repo) {
      return [];
    }
    // Deliveries come in bursts; last_delivery_at only needs seconds.
    const key = repo.toLowerCase();
    const last = this.#touched.get(key) ?? 0;
    if (now.getTime() - last < SOURCE_TOUCH_INTERVAL_MS) {
      return [];
    }
    this.#touched.set(key, now.getTime());
    return [
      {
        sourceKey: `repo:${key}`,
        hookId,
        lastDeliveryAt: now,
      },
    ];
  }
}

function hookIdOf(payload: Record<string, any>): string | null {
  const id = payload?.hook_id ?? payload?.hook?.id;
  return id === undefined || id === null ? null : String(id).slice(0, 32);
}

/** Whether a stored event says what a freshly prepared row says. */
function sameEvent(stored: OasisEvent, row: PreparedEvent): boolean {
  const fresh = rowToEvent({ ...row, id: stored.id });
  return (
    JSON.stringify({ ...fresh, createdAt: stored.createdAt }) ===
    JSON.stringify(stored)
  );
}
