import { LoggerService } from '@backstage/backend-plugin-api';
import type { OasisEvent } from '@slipway/plugin-slipway-common';
import { EVENT_WRITER_LOCK, OasisEventStore } from './OasisEventStore';
import { PgEventNotifications } from './PgEventNotifications';

/** Options of {@link OasisEventTailer}. */
export interface OasisEventTailerOptions {
  store: OasisEventStore;
  logger?: LoggerService;
  /**
   * How often the table is read anyway. On PostgreSQL commits of every
   * instance wake the reader at once (LISTEN/NOTIFY); the poll is the
   * safety net for a lost notification.
   */
  pollIntervalMs?: number;
  /**
   * Longest wait for a missing id whose transaction might still commit
   * (PostgreSQL). Only reached when some unrelated transaction stays open
   * that long; the id is then skipped with a warning.
   */
  maxGapWaitMs?: number;
  batchSize?: number;
}

type Batch = (events: OasisEvent[]) => void;

/** A gap below `maxSeen` that `writers` may still fill (PostgreSQL). */
type PendingGap = { maxSeen: bigint; writers: Set<string>; since: number };

/**
 * One reader of `oasis_events` per backend instance, fanning every new event
 * out to the instance's stream subscribers in id order.
 *
 * The cursor only moves past ids that are final: no transaction can still
 * commit a row at or below it. On SQLite writes are serialized, so every
 * visible row is final. On PostgreSQL ids come from a sequence, and
 * concurrent transactions commit out of id order: a row can become visible
 * after a higher id already has. Every event writer holds a shared advisory
 * lock (EVENT_WRITER_LOCK) from before it takes its ids until it ends. When
 * the tailer sees a gap below a visible id, whatever could still fill it is
 * among the writers holding that lock right after the read; once all of them
 * have ended, a fresh read shows the final state and the remaining gaps are
 * rolled-back ids that will never appear. Unrelated long transactions do not
 * hold the stream back.
 */
export class OasisEventTailer {
  readonly #store: OasisEventStore;
  readonly #logger?: LoggerService;
  readonly #pollIntervalMs: number;
  readonly #maxGapWaitMs: number;
  readonly #batchSize: number;
  readonly #subscribers = new Set<Batch>();
  #cursor: bigint | undefined;
  #ready: Promise<void> | undefined;
  #generation = 0;
  #timer: NodeJS.Timeout | undefined;
  #gapTimer: NodeJS.Timeout | undefined;
  #running = false;
  #again = false;
  #pending: PendingGap | undefined;
  #notifications: PgEventNotifications | undefined;
  readonly #unhookCommit: () => void;

  constructor(options: OasisEventTailerOptions) {
    this.#store = options.store;
    this.#logger = options.logger;
    this.#pollIntervalMs = options.pollIntervalMs ?? 250;
    this.#maxGapWaitMs = options.maxGapWaitMs ?? 30_000;
    this.#batchSize = options.batchSize ?? 1000;
    this.#unhookCommit = this.#store.onCommit(() => this.wake());
  }

  /** The id up to which every event has been fanned out (final). */
  get cursor(): bigint {
    if (this.#cursor === undefined) {
      throw new Error('OasisEventTailer is not running');
    }
    return this.#cursor;
  }

  /** Number of subscribers on this instance. */
  get subscriberCount(): number {
    return this.#subscribers.size;
  }

  /**
   * Registers a subscriber. Resolves with the horizon: every event with an
   * id above it reaches `onEvents`, every id at or below it is final in the
   * table (so a replay up to the horizon plus the live events is complete).
   */
  async subscribe(
    onEvents: Batch,
  ): Promise<{ horizon: bigint; unsubscribe: () => void }> {
    if (!this.#ready) {
      this.#start();
    }
    await this.#ready;
    // Synchronous from here: no batch can slip between horizon and add().
    this.#subscribers.add(onEvents);
    const horizon = this.cursor;
    return {
      horizon,
      unsubscribe: () => {
        this.#subscribers.delete(onEvents);
        if (this.#subscribers.size === 0) {
          this.#stop();
        }
      },
    };
  }

  /** Reads the table now (called after local commits). */
  wake(): void {
    if (this.#cursor === undefined) {
      return;
    }
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#poll();
  }

  /** Stops reading and releases the commit hook. */
  close(): void {
    this.#stop();
    this.#subscribers.clear();
    this.#unhookCommit();
  }

  #start() {
    const generation = ++this.#generation;
    this.#ready = this.#init(generation).catch(error => {
      // Let the next subscriber try again from scratch.
      this.#stop();
      throw error;
    });
    this.#timer = setInterval(() => this.wake(), this.#pollIntervalMs);
    this.#timer.unref?.();
    if (this.#store.isPostgres) {
      this.#notifications = new PgEventNotifications({
        knex: this.#store.knex,
        logger: this.#logger,
        onNotify: () => this.wake(),
      });
      this.#notifications.start();
    }
  }

  /** The connection listening for other instances' commits (for tests). */
  get notifications(): PgEventNotifications | undefined {
    return this.#notifications;
  }

  #stop() {
    this.#notifications?.stop();
    this.#notifications = undefined;
    this.#generation++;
    clearInterval(this.#timer);
    clearTimeout(this.#gapTimer);
    this.#timer = undefined;
    this.#ready = undefined;
    this.#cursor = undefined;
    this.#pending = undefined;
  }

  async #init(generation: number) {
    if (!this.#store.isPostgres) {
      const max = await this.#store.maxId();
      if (generation === this.#generation) {
        this.#cursor = max;
      }
      return;
    }
    // The highest committed id is final once every writer that was in
    // progress when it was read has ended.
    const max = await this.#store.maxId();
    const writers = await this.#writers();
    const started = Date.now();
    while (writers.size > 0 && Date.now() - started < this.#maxGapWaitMs) {
      const now = await this.#writers();
      if (![...writers].some(x => now.has(x))) {
        break;
      }
      await new Promise(r => setTimeout(r, 5));
    }
    if (generation === this.#generation) {
      this.#cursor = max;
    }
  }

  /** Transaction ids of the event writers in progress (PostgreSQL). */
  async #writers(): Promise<Set<string>> {
    const { rows } = await this.#store.knex.raw(
      `select a.backend_xid::text as xid
         from pg_locks l join pg_stat_activity a on a.pid = l.pid
        where l.locktype = 'advisory' and l.classid = ? and l.objid = ?
          and l.objsubid = 2 and a.backend_xid is not null`,
      EVENT_WRITER_LOCK,
    );
    return new Set(rows.map((r: { xid: string }) => r.xid));
  }

  async #poll() {
    this.#running = true;
    const generation = this.#generation;
    try {
      do {
        this.#again = false;
        if (generation !== this.#generation || this.#cursor === undefined) {
          return;
        }
        const full = await this.#readOnce(generation);
        if (full) {
          this.#again = true;
        }
      } while (this.#again);
    } catch (error) {
      this.#logger?.warn(
        `Reading new OASIS events failed; will retry: ${error}`,
      );
    } finally {
      this.#running = false;
    }
  }

  /**
   * One read; true when a full batch came back (read again at once). Every
   * await stays here and the helpers it calls are synchronous: nothing can
   * run between a generation check and the writes that follow it.
   */
  async #readOnce(generation: number): Promise<boolean> {
    const after = this.#cursor!;
    // With a gap pending, first learn whether its writers have ended; the
    // rows read after that are then final up to the gap's horizon.
    let skipUpTo = 0n;
    if (this.#pending) {
      const pending = this.#pending;
      const now =
        pending.writers.size > 0 ? await this.#writers() : new Set<string>();
      skipUpTo = this.#settleGap(pending, now, after);
    }
    const rows = await this.#store.readRange(
      {},
      after,
      undefined,
      this.#batchSize,
    );
    if (generation !== this.#generation || this.#cursor !== after) {
      return false;
    }
    if (rows.length === 0) {
      return false;
    }

    let deliver: OasisEvent[] = [];
    let cursor = after;
    if (!this.#store.isPostgres) {
      for (const event of rows) {
        deliver.push(event);
        cursor = BigInt(event.id);
      }
    } else {
      const maxSeen = BigInt(rows[rows.length - 1].id);
      let gap: boolean;
      ({ deliver, cursor, gap } = finalRun(rows, after, skipUpTo));
      if (gap && !this.#pending) {
        // Whatever can still fill the gap is among the writers in
        // progress now. Even with none left the gap is only known to be
        // permanent after a fresh read: a writer may have committed the
        // missing id between the read above and this check.
        const writers = await this.#writers();
        if (generation !== this.#generation) {
          return false;
        }
        this.#pending = { maxSeen, writers, since: Date.now() };
      }
      this.#recheckPendingGap();
    }

    this.#cursor = cursor;
    this.#fanOut(deliver);
    return rows.length === this.#batchSize && !this.#pending;
  }

  /**
   * The id up to which a pending gap is settled: its horizon once its
   * writers (`now` are those in progress) have ended or after waiting
   * `maxGapWaitMs` (with a warning); 0n while it is still open.
   */
  #settleGap(pending: PendingGap, now: Set<string>, after: bigint): bigint {
    if (![...pending.writers].some(x => now.has(x))) {
      this.#pending = undefined;
      return pending.maxSeen;
    } else if (Date.now() - pending.since > this.#maxGapWaitMs) {
      this.#logger?.warn(
        `OASIS stream skips missing event id(s) after ${after} up to ${
          pending.maxSeen
        }: writer transactions ${[...pending.writers].join(
          ',',
        )} stayed open longer than ${this.#maxGapWaitMs} ms`,
      );
      this.#pending = undefined;
      return pending.maxSeen;
    }
    return 0n;
  }

  /** With a gap pending, reads again at once or soon. */
  #recheckPendingGap() {
    if (this.#pending?.writers.size === 0) {
      this.#again = true;
    } else if (this.#pending) {
      // Check again soon: writers are usually a few ms from done.
      clearTimeout(this.#gapTimer);
      this.#gapTimer = setTimeout(() => this.wake(), 5);
    }
  }

  #fanOut(deliver: OasisEvent[]) {
    if (deliver.length > 0) {
      for (const subscriber of this.#subscribers) {
        try {
          subscriber(deliver);
        } catch (error) {
          this.#logger?.error('OASIS stream subscriber failed', error as Error);
        }
      }
    }
  }
}

/**
 * The rows that follow `after` without a gap (ids up to `skipUpTo` may be
 * missing), the cursor after them, and whether a gap ended the run.
 */
function finalRun(
  rows: OasisEvent[],
  after: bigint,
  skipUpTo: bigint,
): { deliver: OasisEvent[]; cursor: bigint; gap: boolean } {
  const deliver: OasisEvent[] = [];
  let cursor = after;
  for (const event of rows) {
    const id = BigInt(event.id);
    if (id !== cursor + 1n && id > skipUpTo) {
      return { deliver, cursor, gap: true };
    }
    deliver.push(event);
    cursor = id;
  }
  return { deliver, cursor, gap: false };
}
