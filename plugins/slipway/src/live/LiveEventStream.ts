import {
  compareEventIds,
  reconnectDelay,
  type OasisEvent,
  type OasisEventFilter,
  type SlipwayApi,
} from '@slipway/plugin-slipway-common';

/**
 * State of a live connection, for the connection indicator.
 *
 * @public
 */
export interface ConnectionState {
  status: 'connecting' | 'live' | 'reconnecting' | 'stopped';
  /** Why the last connection ended, when it failed. */
  error?: Error;
  /** When `reconnecting`: milliseconds until the next attempt. */
  retryInMs?: number;
  /** Failed attempts in a row. */
  attempts: number;
}

export interface LiveEventStreamOptions {
  /** Resume after this id: the server replays everything newer first. */
  lastEventId?: string;
  /** New events, oldest first, batched per network read. */
  onEvents(events: OasisEvent[]): void;
  onState(state: ConnectionState): void;
  minRetryMs?: number;
  maxRetryMs?: number;
}

/**
 * Keeps one `/events/stream` connection open and resumes it after any drop
 * from the last event id it saw, so the consumer gets every event once and in
 * order: replayed events it already has are dropped here.
 */
export class LiveEventStream {
  #lastEventId: string | undefined;
  #controller: AbortController | undefined;
  #stopped = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #wake: (() => void) | undefined;
  #pending: OasisEvent[] = [];
  #flushScheduled = false;
  #attempts = 0;

  constructor(
    private readonly api: SlipwayApi,
    private readonly filter: OasisEventFilter,
    private readonly options: LiveEventStreamOptions,
  ) {
    this.#lastEventId = options.lastEventId;
  }

  get lastEventId(): string | undefined {
    return this.#lastEventId;
  }

  start(): void {
    this.#run().catch(error => {
      this.options.onState({ status: 'stopped', error, attempts: 0 });
    });
  }

  stop(): void {
    this.#stopped = true;
    this.#controller?.abort();
    if (this.#timer) clearTimeout(this.#timer);
    this.#wake?.();
  }

  async #run(): Promise<void> {
    this.#attempts = 0;
    while (!this.#stopped) {
      this.#controller = new AbortController();
      this.options.onState({
        status: this.#attempts === 0 ? 'connecting' : 'reconnecting',
        attempts: this.#attempts,
      });
      let error: Error | undefined;
      try {
        await this.api.streamEvents(this.filter, {
          lastEventId: this.#lastEventId,
          signal: this.#controller.signal,
          onOpen: () => {
            this.#attempts = 0;
            this.options.onState({ status: 'live', attempts: 0 });
          },
          onEvent: event => this.#receive(event),
        });
        // The server closed the stream (restart, proxy idle timeout).
        error = new Error('The server closed the event stream');
      } catch (e) {
        error = e instanceof Error ? e : new Error(String(e));
      }
      if (this.#stopped) break;
      this.#attempts += 1;
      const attempts = this.#attempts;
      const min = this.options.minRetryMs ?? 1000;
      const max = this.options.maxRetryMs ?? 30000;
      const retryInMs = reconnectDelay(attempts, min, max);
      this.options.onState({
        status: 'reconnecting',
        error,
        retryInMs,
        attempts,
      });
      await new Promise<void>(resolve => {
        this.#wake = resolve;
        this.#timer = setTimeout(resolve, retryInMs);
      });
    }
    this.options.onState({ status: 'stopped', attempts: 0 });
  }

  #receive(event: OasisEvent) {
    if (
      this.#lastEventId !== undefined &&
      compareEventIds(event.id, this.#lastEventId) <= 0
    ) {
      return;
    }
    this.#lastEventId = event.id;
    this.#pending.push(event);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      // Everything parsed from one network read arrives as one batch.
      queueMicrotask(() => {
        this.#flushScheduled = false;
        const batch = this.#pending;
        this.#pending = [];
        if (!this.#stopped && batch.length > 0) this.options.onEvents(batch);
      });
    }
  }
}
