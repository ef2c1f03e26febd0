import { LoggerService } from '@backstage/backend-plugin-api';
import { randomUUID } from 'node:crypto';
import { TriggerStore } from './TriggerStore';
import { TriggerFact } from './types';

/** Options of {@link TriggerWorker}. */
export interface TriggerWorkerOptions {
  store: TriggerStore;
  /** Acts on one trigger; returns what was decided. Throws to retry later. */
  act(trigger: TriggerFact): Promise<unknown[]>;
  logger: LoggerService;
  /** Safety poll for triggers recorded by other instances, or left by a crash. */
  pollIntervalMs: number;
  /** How long a claim holds; a worker that died loses it after this. */
  leaseMs?: number;
  /** Claims after which a trigger that keeps failing is given up. */
  maxAttempts?: number;
  /** Triggers older than this are deleted (hourly). */
  retentionDays?: number;
}

/** Triggers claimed at once. */
const BATCH = 20;
/** Batches per wake-up: bounded, the poll picks up any rest. */
const MAX_BATCHES = 50;
const PRUNE_EVERY_MS = 3_600_000;

/**
 * Acts on the auto-deploy outbox: claims pending triggers (with a lease),
 * acts on each and marks it done. A delivery stored by this instance wakes
 * it at once; a slow poll picks up triggers of other instances, and those
 * left pending by an instance that stopped or died before acting — so a
 * trigger recorded is acted on after a restart, and by one worker at a time.
 */
export class TriggerWorker {
  readonly #instanceId = randomUUID();
  readonly #options: Required<TriggerWorkerOptions>;
  #round = 0;
  #running: Promise<void> | undefined;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  #stopped = true;
  #prunedAt = 0;

  constructor(options: TriggerWorkerOptions) {
    this.#options = {
      leaseMs: 30_000,
      maxAttempts: 5,
      retentionDays: 90,
      ...options,
    };
  }

  /** Starts acting: at once on what is pending, then on every wake-up and poll. */
  start(): void {
    this.#stopped = false;
    this.#timer = setInterval(() => {
      this.wake();
      void this.#prune();
    }, this.#options.pollIntervalMs);
    this.wake();
  }

  /** Looks for pending triggers now; concurrent calls coalesce. */
  wake(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#drain()
      .catch(error =>
        this.#options.logger.warn(
          `Auto-deploy triggers could not be claimed: ${error}`,
        ),
      )
      .finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.wake();
        }
      });
  }

  /** Resolves once the current round (if any) has finished. */
  async idle(): Promise<void> {
    await this.#running;
  }

  /** Stops claiming and waits for the trigger in hand. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#running;
  }

  async #drain(): Promise<void> {
    for (let i = 0; i < MAX_BATCHES && !this.#stopped; i++) {
      const token = `${this.#instanceId}/${++this.#round}`;
      const batch = await this.#options.store.claim(
        token,
        this.#options.leaseMs,
        BATCH,
      );
      if (batch.length === 0) return;
      for (const trigger of batch) {
        if (this.#stopped) return;
        await this.#handle(trigger, token);
      }
    }
  }

  async #handle(trigger: TriggerFact, token: string): Promise<void> {
    const { store, act, logger, maxAttempts } = this.#options;
    try {
      const decisions =
        trigger.attempts > maxAttempts
          ? [
              {
                decision: 'error',
                reason: `Gave up after ${maxAttempts} attempts.`,
              },
            ]
          : await act(trigger);
      if (!(await store.complete(trigger.id, token, decisions))) {
        logger.warn(
          `Auto-deploy trigger ${trigger.id} took longer than its lease; another worker claimed it`,
        );
      }
    } catch (error) {
      // Left claimed: retried once the lease expires.
      logger.warn(
        `Auto-deploy trigger ${trigger.id} failed (attempt ${trigger.attempts} of ${maxAttempts}), retried later: ${error}`,
      );
    }
  }

  async #prune(): Promise<void> {
    if (Date.now() - this.#prunedAt < PRUNE_EVERY_MS) return;
    this.#prunedAt = Date.now();
    const cutoff = new Date(
      Date.now() - this.#options.retentionDays * 86_400_000,
    );
    await this.#options.store
      .prune(cutoff)
      .catch(error =>
        this.#options.logger.warn(
          `Pruning auto-deploy triggers failed: ${error}`,
        ),
      );
  }
}
