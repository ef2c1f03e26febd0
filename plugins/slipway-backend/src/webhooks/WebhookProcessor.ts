import { LoggerService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import type { OasisEvent } from '@slipway/plugin-slipway-common';
import { Knex } from 'knex';
import { EntityRefResolver } from '../oasis/EntityRefResolver';
import {
  MappedDelivery,
  MappedEvent,
  mapGithubDelivery,
} from '../oasis/githubMapping';
import { OasisEventStore } from '../oasis/OasisEventStore';
import { toDate } from '../oasis/rows';
import { VtidExtractor } from '../oasis/vtid';

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

class DuplicateDelivery extends Error {}

/** How often one instance records that a repository's hook is alive. */
const SOURCE_TOUCH_INTERVAL_MS = 5_000;

/** Turns a deliveries row into the API shape. */
export function rowToDelivery(
  row: DeliveryRow,
  withPayload = false,
): WebhookDelivery {
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

/**
 * Persists GitHub deliveries and the OASIS events they map to, in one
 * transaction per delivery, and keeps the state of each webhook source.
 */
export class WebhookProcessor {
  readonly #knex: Knex;
  readonly #events: OasisEventStore;
  readonly #entityRefs: EntityRefResolver;
  readonly #vtid: VtidExtractor;
  readonly #logger?: LoggerService;
  readonly #touched = new Map<string, number>();

  constructor(options: {
    events: OasisEventStore;
    entityRefs: EntityRefResolver;
    vtid: VtidExtractor;
    logger?: LoggerService;
  }) {
    this.#events = options.events;
    this.#knex = options.events.knex;
    this.#entityRefs = options.entityRefs;
    this.#vtid = options.vtid;
    this.#logger = options.logger;
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
    const { mapped, error } = await this.#map(
      delivery.event,
      delivery.payload,
      delivery.deliveryId,
    );
    const result: DeliveryResult = error ? 'failed' : mapped.result;
    const now = new Date();
    let committed: OasisEvent[] | undefined;
    try {
      committed = await this.#knex.transaction(async trx => {
        // Events first, so the delivery row is written once with their ids.
        // A duplicate delivery rolls all of it back (rare: redeliveries).
        const events = await this.#insertMapped(trx, mapped.events);
        const inserted = await trx('webhook_deliveries')
          .insert({
            delivery_id: delivery.deliveryId,
            event: delivery.event,
            action:
              typeof delivery.payload.action === 'string'
                ? delivery.payload.action.slice(0, 64)
                : null,
            hook_id: delivery.hookId ?? hookIdOf(delivery.payload),
            repo: mapped.repo,
            received_at: now,
            payload: delivery.rawPayload,
            result,
            error,
            processed_at: now,
            event_ids: JSON.stringify(events.map(e => e.id)),
          })
          .onConflict('delivery_id')
          .ignore()
          .returning('id');
        if (inserted.length === 0) {
          throw new DuplicateDelivery();
        }
        await this.#touchSources(
          trx,
          delivery.event,
          delivery.payload,
          mapped.repo,
          now,
        );
        return events;
      });
    } catch (e) {
      if (!(e instanceof DuplicateDelivery)) {
        throw e;
      }
    }
    if (!committed) {
      return { result: 'duplicate', events: [] };
    }
    this.#events.afterCommit(committed);
    return { result, events: committed };
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
    const row: DeliveryRow | undefined = await this.#knex('webhook_deliveries')
      .where('delivery_id', deliveryId)
      .first();
    if (!row) {
      throw new NotFoundError(
        `No webhook delivery '${deliveryId}': GET /deliveries lists the stored ones`,
      );
    }
    const payload = JSON.parse(row.payload!);
    const { mapped, error } = await this.#map(row.event, payload, deliveryId);
    const result: DeliveryResult = error ? 'failed' : mapped.result;
    const oldIds: string[] = JSON.parse(row.event_ids || '[]');

    const outcome = await this.#knex.transaction(async trx => {
      const old = oldIds.length ? await this.#events.readIds(trx, oldIds) : [];
      const same =
        result === row.result &&
        error === row.error &&
        old.length === mapped.events.length &&
        old.every((e, i) => sameEvent(e, mapped.events[i]));
      if (same) {
        return { changed: false, events: old, fresh: [] as OasisEvent[] };
      }
      await trx('oasis_event_keys').whereIn('event_id', oldIds).delete();
      await this.#events.deleteEvents(trx, oldIds);
      const events = await this.#insertMapped(trx, mapped.events);
      await trx('webhook_deliveries')
        .where('delivery_id', deliveryId)
        .update({
          result,
          error,
          repo: mapped.repo,
          event_ids: JSON.stringify(events.map(e => e.id)),
          processed_at: new Date(),
        });
      return { changed: true, events, fresh: events };
    });
    this.#events.afterCommit(outcome.fresh);
    const updated = await this.#knex('webhook_deliveries')
      .where('delivery_id', deliveryId)
      .first();
    return {
      delivery: rowToDelivery(updated),
      changed: outcome.changed,
      events: outcome.events,
    };
  }

  /**
   * Stores events that did not come from a webhook delivery (the polling
   * fallback), deduplicated against the webhook's by their keys.
   */
  async ingest(mapped: MappedDelivery): Promise<OasisEvent[]> {
    if (mapped.events.length === 0) {
      return [];
    }
    const entityRef = await this.#entityRefs.forRepo(mapped.repo);
    const withRef = mapped.events.map(e => ({
      ...e,
      input: { ...e.input, entityRef: e.input.entityRef ?? entityRef },
    }));
    const events = await this.#knex.transaction(trx =>
      this.#insertMapped(trx, withRef),
    );
    this.#events.afterCommit(events);
    return events;
  }

  async #map(event: string, payload: Record<string, any>, deliveryId: string) {
    try {
      const mapped = mapGithubDelivery(event, payload, {
        deliveryId,
        vtid: this.#vtid,
      });
      if (mapped.events.length > 0) {
        const entityRef = await this.#entityRefs.forRepo(mapped.repo);
        for (const e of mapped.events) {
          e.input.entityRef = e.input.entityRef ?? entityRef;
        }
      }
      return { mapped, error: null };
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
        error: String(error).slice(0, 2000),
      };
    }
  }

  /** Inserts mapped events, skipping any whose dedup key is already taken. */
  async #insertMapped(
    trx: Knex.Transaction,
    mapped: MappedEvent[],
  ): Promise<OasisEvent[]> {
    const keep: MappedEvent[] = [];
    for (const e of mapped) {
      if (!e.dedupKey) {
        keep.push(e);
        continue;
      }
      const taken = await trx('oasis_event_keys')
        .insert({
          dedup_key: e.dedupKey.slice(0, 400),
          event_id: 0,
          created_at: new Date(),
        })
        .onConflict('dedup_key')
        .ignore()
        .returning('dedup_key');
      if (taken.length > 0) {
        keep.push(e);
      }
    }
    const events = await this.#events.insertEvents(
      trx,
      keep.map(e => e.input),
    );
    for (let i = 0; i < keep.length; i++) {
      const key = keep[i].dedupKey;
      if (key) {
        await trx('oasis_event_keys')
          .where('dedup_key', key.slice(0, 400))
          .update({ event_id: this.#events.idParam(BigInt(events[i].id)) });
      }
    }
    return events;
  }

  async #touchSources(
    trx: Knex.Transaction,
    event: string,
    payload: Record<string, any>,
    repo: string | null,
    now: Date,
  ) {
    const hookId = hookIdOf(payload);
    const rows: Array<Record<string, unknown>> = [];
    if (event === 'ping') {
      const org = payload.organization?.login;
      let key: string | undefined;
      if (repo) {
        key = `repo:${repo.toLowerCase()}`;
      } else if (typeof org === 'string') {
        key = `org:${org.toLowerCase()}`;
      }
      if (key) {
        rows.push({
          source_key: key,
          hook_id: hookId,
          pinged_at: now,
          last_delivery_at: now,
        });
      }
    } else if (repo) {
      // Deliveries come in bursts; last_delivery_at only needs seconds.
      const key = repo.toLowerCase();
      const last = this.#touched.get(key) ?? 0;
      if (now.getTime() - last < SOURCE_TOUCH_INTERVAL_MS) {
        return;
      }
      this.#touched.set(key, now.getTime());
      rows.push({
        source_key: `repo:${repo.toLowerCase()}`,
        hook_id: hookId,
        last_delivery_at: now,
      });
    }
    for (const row of rows) {
      await trx('webhook_sources')
        .insert(row)
        .onConflict('source_key')
        .merge(
          Object.keys(row).filter(k => k !== 'source_key' && row[k] !== null),
        );
    }
  }
}

function hookIdOf(payload: Record<string, any>): string | null {
  const id = payload?.hook_id ?? payload?.hook?.id;
  return id === undefined || id === null ? null : String(id).slice(0, 32);
}

function sameEvent(stored: OasisEvent, mapped: MappedEvent): boolean {
  const m = mapped.input;
  return (
    stored.module === m.module &&
    stored.source === m.source &&
    stored.kind === m.kind &&
    stored.status === m.status &&
    stored.title === m.title &&
    stored.vtid === (m.vtid ?? 'UNSET') &&
    stored.layer === (m.layer ?? 'UNSET') &&
    stored.ref === (m.ref ?? null) &&
    stored.link === (m.link ?? null) &&
    stored.repo === (m.repo ?? null) &&
    stored.entityRef === (m.entityRef ?? null) &&
    JSON.stringify(stored.meta) === JSON.stringify(m.meta ?? {})
  );
}
