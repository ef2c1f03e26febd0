import { LoggerService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import type {
  OasisEvent,
  OasisEventInput,
  Page,
} from '@slipway/plugin-slipway-common';
import { Knex } from 'knex';
import { applyDatabaseMigrations } from '../database/migrations';
import { decodeCursor, encodeCursor } from './cursor';
import { applyEventFilter, EventFilter } from './filters';
import { EVENTS_CHANNEL } from './PgEventNotifications';
import { OasisEventRow, rowToEvent } from './rows';
import type { OasisEventListeners, OasisEventSink } from './types';
import { validateEventInput } from './validateEventInput';

const TABLE = 'oasis_events';

/** Rows per insert statement. */
const INSERT_CHUNK = 500;

/** An event checked and laid out as its row, without the id. */
export type PreparedEvent = Omit<OasisEventRow, 'id' | 'meta'> & {
  created_at: Date;
  meta: string;
};

/**
 * Checks an event (throws InputError naming the field) and lays it out as
 * its row, so callers can reject bad input before any transaction starts.
 */
export function prepareEvent(
  input: OasisEventInput,
  createdAt = new Date(),
): PreparedEvent {
  const e = validateEventInput(input);
  return {
    created_at: createdAt,
    vtid: e.vtid ?? 'UNSET',
    layer: e.layer ?? 'UNSET',
    module: e.module,
    source: e.source,
    kind: e.kind,
    status: e.status,
    title: e.title,
    ref: e.ref ?? null,
    link: e.link ?? null,
    repo: e.repo ?? null,
    entity_ref: e.entityRef ?? null,
    meta: JSON.stringify(e.meta ?? {}),
  };
}

/**
 * Advisory lock key pair every transaction that inserts events holds (shared)
 * until it ends, on PostgreSQL. The stream tailer lists its holders to know
 * which transactions may still commit an id it has not seen.
 */
export const EVENT_WRITER_LOCK: [number, number] = [0x534c5057, 1];

/** Groupings of `GET /events/stats`. */
export type OasisStatsGroupBy = 'source' | 'kind' | 'status' | 'vtid';

/** One (entity, source) slice of a stats group, for read filters. */
export interface StatsScope {
  entityRef: string | null;
  source: string;
}

/** Body of `GET /events/stats`. */
export interface OasisEventStats {
  groupBy: OasisStatsGroupBy;
  since: string | null;
  total: number;
  counts: Array<{ key: string; count: number }>;
}

/**
 * The OASIS events table: the single place events are written and read.
 *
 * Writes are short transactions. On PostgreSQL each one announces itself
 * (EVENT_WRITER_LOCK) before its rows take their sequence values; the stream
 * tailer relies on that to tell an id that is still being committed from one
 * that never will be (see OasisEventTailer).
 */
export class OasisEventStore implements OasisEventSink, OasisEventListeners {
  readonly #knex: Knex;
  readonly #logger?: LoggerService;
  readonly #listeners = new Set<(event: OasisEvent) => void | Promise<void>>();
  readonly #commitHooks = new Set<(events: OasisEvent[]) => void>();
  readonly isPostgres: boolean;

  /**
   * Creates the store, migrating the plugin's tables unless told not to
   * (the plugin skips them when the database service says so).
   */
  static async create(options: {
    knex: Knex;
    logger?: LoggerService;
    skipMigrations?: boolean;
  }): Promise<OasisEventStore> {
    if (!options.skipMigrations) {
      await applyDatabaseMigrations(options.knex);
    }
    return new OasisEventStore(options.knex, options.logger);
  }

  private constructor(knex: Knex, logger?: LoggerService) {
    this.#knex = knex;
    this.#logger = logger;
    this.isPostgres = knex.client.config.client === 'pg';
  }

  /**
   * The database handle: for the other stores of the same database, for
   * callers that begin a transaction spanning several stores, and for the
   * stream tailer's PostgreSQL notifications and writer-lock checks. Not
   * for querying `oasis_events`: that goes through this store's methods.
   */
  get knex(): Knex {
    return this.#knex;
  }

  /** Converts an id to the binding each driver compares correctly. */
  idParam(id: bigint): string | number {
    return this.isPostgres ? id.toString() : Number(id);
  }

  /** Stores one event; it is durable when the promise resolves. */
  async publish(input: OasisEventInput): Promise<OasisEvent> {
    const [event] = await this.publishMany([input]);
    return event;
  }

  /** Stores several events in one transaction, in order. */
  async publishMany(inputs: OasisEventInput[]): Promise<OasisEvent[]> {
    const events = await this.#knex.transaction(trx =>
      this.insertEvents(trx, inputs),
    );
    this.afterCommit(events);
    return events;
  }

  /**
   * Inserts events inside a caller's transaction. The caller must call
   * {@link OasisEventStore.afterCommit} once the transaction has committed,
   * so streams and listeners learn about them.
   */
  async insertEvents(
    trx: Knex.Transaction,
    inputs: OasisEventInput[],
  ): Promise<OasisEvent[]> {
    return this.insertPrepared(
      trx,
      inputs.map(input => prepareEvent(input)),
    );
  }

  /**
   * Inserts events already checked by {@link prepareEvent}, in the given
   * order (ids ascend with it), inside a caller's transaction.
   */
  async insertPrepared(
    trx: Knex.Transaction,
    rows: PreparedEvent[],
  ): Promise<OasisEvent[]> {
    if (rows.length === 0) {
      return [];
    }
    if (this.isPostgres) {
      // Mark this transaction as an event writer, with its transaction id,
      // before it takes a sequence value (see OasisEventTailer); and wake
      // the readers of every instance when it commits.
      await trx.raw(
        'select pg_advisory_xact_lock_shared(?, ?), pg_current_xact_id(), pg_notify(?, ?)',
        [...EVENT_WRITER_LOCK, EVENTS_CHANNEL, ''],
      );
    }
    const events: OasisEvent[] = [];
    // Chunks stay far below the bind-parameter limits of both drivers.
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      const chunk = rows.slice(i, i + INSERT_CHUNK);
      const inserted: Array<{ id: number | string }> = await trx(TABLE)
        .insert(chunk)
        .returning('id');
      // One statement takes its ids in the order of its rows.
      const ids = inserted
        .map(r => BigInt(r.id))
        .sort((a, b) => (a < b ? -1 : 1));
      chunk.forEach((row, j) =>
        events.push(rowToEvent({ ...row, id: ids[j].toString() })),
      );
    }
    return events;
  }

  /** Events by id, in id order, inside a caller's transaction. */
  async readIds(trx: Knex.Transaction, ids: string[]): Promise<OasisEvent[]> {
    const rows: OasisEventRow[] = await trx(TABLE)
      .whereIn('id', ids)
      .orderBy('id');
    return rows.map(rowToEvent);
  }

  /** Deletes events inside a caller's transaction (used by reprocessing). */
  async deleteEvents(trx: Knex.Transaction, ids: string[]): Promise<void> {
    if (ids.length > 0) {
      await trx(TABLE).whereIn('id', ids).delete();
    }
  }

  /** Tells streams and listeners about committed events. */
  afterCommit(events: OasisEvent[]): void {
    if (events.length === 0) {
      return;
    }
    for (const hook of this.#commitHooks) {
      hook(events);
    }
    for (const event of events) {
      for (const listener of this.#listeners) {
        Promise.resolve()
          .then(() => listener(event))
          .catch(error =>
            this.#logger?.error(
              `OASIS event listener failed on event ${event.id}`,
              error,
            ),
          );
      }
    }
  }

  /**
   * In-process listeners see every event stored through this instance after
   * its transaction commits (events stored by another instance reach them
   * only through the stream).
   */
  onEvent(listener: (event: OasisEvent) => void | Promise<void>): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Internal: the stream tailer wakes up on local commits. */
  onCommit(hook: (events: OasisEvent[]) => void): () => void {
    this.#commitHooks.add(hook);
    return () => {
      this.#commitHooks.delete(hook);
    };
  }

  /** The highest event id stored (0 when there is none). */
  async maxId(): Promise<bigint> {
    const row = await this.#knex(TABLE).max({ max: 'id' }).first();
    return BigInt(row?.max ?? 0);
  }

  /** One event by id. */
  async get(id: bigint): Promise<OasisEvent> {
    const row = await this.#knex<OasisEventRow>(TABLE)
      .where('id', this.idParam(id))
      .first();
    if (!row) {
      throw new NotFoundError(`No OASIS event with id ${id}`);
    }
    return rowToEvent(row);
  }

  /**
   * The repository of the entity's newest event that names one (an entity
   * without the slug annotation may still have events, e.g. POST /events),
   * lower-cased; null when none does.
   */
  async latestRepoOfEntity(entityRef: string): Promise<string | null> {
    const row = await this.#knex<OasisEventRow>(TABLE)
      .where('entity_ref', entityRef.toLowerCase())
      .whereNotNull('repo')
      .orderBy('id', 'desc')
      .first('repo');
    return row?.repo?.toLowerCase() ?? null;
  }

  /** The newest `limit` workflow_run events of a repository (any case). */
  async recentWorkflowRuns(repo: string, limit: number): Promise<OasisEvent[]> {
    const rows = await this.#knex<OasisEventRow>(TABLE)
      .where('kind', 'workflow_run')
      .whereRaw('lower(repo) = ?', [repo.toLowerCase()])
      .orderBy('id', 'desc')
      .limit(limit);
    return rows.map(rowToEvent);
  }

  /** A page of events, newest first, by keyset on id. */
  async list(
    filter: EventFilter,
    page: { limit: number; cursor?: string },
  ): Promise<Page<OasisEvent>> {
    const query = applyEventFilter(this.#knex(TABLE).select('*'), filter)
      .orderBy('id', 'desc')
      .limit(page.limit + 1);
    if (page.cursor) {
      query.where('id', '<', this.idParam(decodeCursor(page.cursor)));
    }
    const rows: OasisEventRow[] = await query;
    const items = rows.slice(0, page.limit).map(rowToEvent);
    return rows.length > page.limit
      ? { items, nextCursor: encodeCursor(items[items.length - 1].id) }
      : { items };
  }

  /**
   * Events with `after < id <= upTo`, oldest first: what a stream replays.
   * `upTo` is a horizon below which every id is final.
   */
  async readRange(
    filter: EventFilter,
    after: bigint,
    upTo: bigint | undefined,
    limit: number,
  ): Promise<OasisEvent[]> {
    const query = applyEventFilter(this.#knex(TABLE).select('*'), filter)
      .where('id', '>', this.idParam(after))
      .orderBy('id', 'asc')
      .limit(limit);
    if (upTo !== undefined) {
      query.where('id', '<=', this.idParam(upTo));
    }
    const rows: OasisEventRow[] = await query;
    return rows.map(rowToEvent);
  }

  /**
   * Counts grouped by one column. With `visible`, only the events it keeps
   * count: the groups are split by entity and source and `visible` is asked
   * once per (entity, source) pair.
   */
  async stats(
    filter: EventFilter,
    groupBy: OasisStatsGroupBy,
    visible?: (items: StatsScope[]) => Promise<StatsScope[]>,
  ): Promise<OasisEventStats> {
    const columns = visible
      ? [...new Set([groupBy, 'entity_ref', 'source'])]
      : [groupBy];
    const rows: Array<{
      key: string;
      count: string | number;
      entity_ref?: string | null;
      source?: string;
    }> = await applyEventFilter(
      this.#knex(TABLE)
        .select({ key: groupBy }, ...columns.filter(c => c !== groupBy))
        .count({ count: '*' })
        .groupBy(columns),
      filter,
    );
    const scopes = rows.map(r => ({
      entityRef: r.entity_ref ?? null,
      source: String(r.source ?? (groupBy === 'source' ? r.key : '')),
      key: String(r.key),
      count: Number(r.count),
    }));
    const kept = visible ? await visible(scopes) : scopes;
    const totals = new Map<string, number>();
    for (const s of kept as typeof scopes) {
      totals.set(s.key, (totals.get(s.key) ?? 0) + s.count);
    }
    const counts = [...totals]
      .map(([key, count]) => ({ key, count }))
      .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
    return {
      groupBy,
      since: filter.since?.toISOString() ?? null,
      total: counts.reduce((sum, c) => sum + c.count, 0),
      counts,
    };
  }

  /** Deletes events created before the cutoff, in batches; returns the count. */
  async deleteOlderThan(cutoff: Date, batchSize = 5000): Promise<number> {
    let total = 0;
    for (;;) {
      const ids = await this.#knex(TABLE)
        .where('created_at', '<', cutoff)
        .orderBy('id')
        .limit(batchSize)
        .pluck('id');
      if (ids.length === 0) {
        return total;
      }
      await this.#knex(TABLE).whereIn('id', ids).delete();
      total += ids.length;
    }
  }
}
