import type { OasisEvent } from '@slipway/plugin-slipway-common';
import type { Request, Response } from 'express';
import type { ReadScope } from '../access';
import { EventFilter, matchesEventFilter } from './filters';
import { OasisEventStore } from './OasisEventStore';
import { OasisEventTailer } from './OasisEventTailer';

/** Options of {@link OasisEventStream}. */
export interface OasisEventStreamOptions {
  store: OasisEventStore;
  tailer: OasisEventTailer;
  /** Live events held for one subscriber before it falls back to replay. */
  maxBufferedEvents?: number;
  heartbeatMs?: number;
  /** Page size of replays from the table. */
  replayBatchSize?: number;
  /**
   * Events one connection replays after its Last-Event-ID (or `since`) at
   * most; beyond, it sends `replay-limit` and ends (default 1000).
   */
  maxReplayEvents?: number;
  /**
   * A connection ends after this long (default one hour) and the client
   * resumes with Last-Event-ID: a new request, so its credentials are
   * checked again and a token that expired meanwhile ends its reading.
   */
  maxConnectionMs?: number;
  /**
   * Ends every stream when aborted (backend shutdown): the HTTP server
   * waits for open connections, and clients resume with Last-Event-ID.
   */
  shutdown?: AbortSignal;
}

/** Counters for tests and the benchmark. */
export interface OasisEventStreamStats {
  subscribers: number;
  bufferedEvents: number;
  maxBufferedEvents: number;
  overflows: number;
}

class ClosedError extends Error {}

/**
 * Serves `GET /events/stream`: a replay from the table after the client's
 * Last-Event-ID, then live events from the instance's tailer.
 *
 * Each subscriber sends strictly increasing ids (never a duplicate) and
 * every id it skips is one that does not match its filter. Live events wait
 * in a bounded buffer; a subscriber that cannot keep up (its socket is not
 * draining) loses that buffer and catches up from the table instead, so a
 * slow client neither stalls the others nor grows memory.
 */
export class OasisEventStream {
  readonly #store: OasisEventStore;
  readonly #tailer: OasisEventTailer;
  readonly #maxBuffered: number;
  readonly #heartbeatMs: number;
  readonly #replayBatchSize: number;
  readonly #maxReplay: number;
  readonly #maxConnectionMs: number;
  readonly #shutdown?: AbortSignal;
  readonly #buffers = new Set<{ length: number }>();
  #overflows = 0;

  constructor(options: OasisEventStreamOptions) {
    this.#store = options.store;
    this.#tailer = options.tailer;
    this.#maxBuffered = options.maxBufferedEvents ?? 500;
    this.#heartbeatMs = options.heartbeatMs ?? 15_000;
    this.#replayBatchSize = options.replayBatchSize ?? 500;
    this.#maxReplay = Math.max(1, options.maxReplayEvents ?? 1000);
    this.#maxConnectionMs = Math.max(
      1000,
      options.maxConnectionMs ?? 3_600_000,
    );
    this.#shutdown = options.shutdown;
  }

  stats(): OasisEventStreamStats {
    let bufferedEvents = 0;
    for (const b of this.#buffers) {
      bufferedEvents += b.length;
    }
    return {
      subscribers: this.#buffers.size,
      bufferedEvents,
      maxBufferedEvents: this.#maxBuffered,
      overflows: this.#overflows,
    };
  }

  /**
   * Streams to one client until it disconnects. `lastEventId` (from the
   * header or query) asks for a replay of what came after it: at most
   * `maxReplayEvents` events; when more are waiting, a `replay-limit`
   * event (`{ message, lastEventId }`) ends the stream, and the client
   * resumes from that id (a new request, checked again) or re-queries
   * `GET /events`. Only events `scope` may read are sent, live or replayed.
   */
  async serve(
    req: Request,
    res: Response,
    filter: EventFilter,
    lastEventId: bigint | undefined,
    scope: Pick<ReadScope, 'canReadEvent'>,
  ): Promise<void> {
    let closed = false;
    let wake: (() => void) | undefined;
    const signal = () => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    const onClose = () => {
      closed = true;
      signal();
    };
    req.on('close', onClose);
    res.on('close', onClose);
    this.#shutdown?.addEventListener('abort', onClose);
    if (this.#shutdown?.aborted) onClose();

    let buffer: OasisEvent[] = [];
    let overflow = false;
    const waitForWork = () =>
      new Promise<void>(resolve => {
        wake = resolve;
        if (buffer.length > 0 || overflow || closed) {
          signal();
        }
      });
    const holder = { length: 0 };
    const subscription = await this.#tailer.subscribe(events => {
      if (overflow) {
        return;
      }
      for (const event of events) {
        if (!matchesEventFilter(event, filter)) {
          continue;
        }
        if (buffer.length >= this.#maxBuffered) {
          overflow = true;
          this.#overflows++;
          buffer = [];
          holder.length = 0;
          break;
        }
        buffer.push(event);
        holder.length = buffer.length;
      }
      signal();
    });
    this.#buffers.add(holder);

    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    // no-transform: no proxy or compression layer may buffer the stream.
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.socket?.setNoDelay(true);

    let writing = false;
    const write = async (chunk: string) => {
      if (closed) {
        throw new ClosedError();
      }
      if (!res.write(chunk)) {
        writing = true;
        await new Promise<void>(resolve => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
        writing = false;
        if (closed) {
          throw new ClosedError();
        }
      }
    };
    const heartbeat = setInterval(() => {
      if (!closed && !writing) {
        res.write(': heartbeat\n\n');
      }
    }, this.#heartbeatMs);
    const lifetime = setTimeout(() => {
      if (!closed) res.write(': stream lifetime reached, reconnect\n\n');
      onClose();
    }, this.#maxConnectionMs);

    let lastSent = lastEventId ?? (filter.since ? 0n : subscription.horizon);
    let catchUpTo: bigint | undefined =
      lastEventId !== undefined || filter.since
        ? subscription.horizon
        : undefined;
    const send = async (event: OasisEvent): Promise<boolean> => {
      const id = BigInt(event.id);
      if (id <= lastSent) {
        return false;
      }
      // Checked as it goes out: a revoked reader stops within the TTL.
      const readable = await scope.canReadEvent(event);
      if (closed) throw new ClosedError();
      lastSent = id;
      if (!readable) {
        return false;
      }
      await write(
        `id: ${event.id}\nevent: oasis\ndata: ${JSON.stringify(event)}\n\n`,
      );
      return true;
    };
    // The client's own replay is bounded; catching up after an overflow is
    // not (it only covers what this connection dropped).
    let replayBudget = catchUpTo === undefined ? Infinity : this.#maxReplay;

    try {
      await write('retry: 2000\n: connected\n\n');
      while (!closed) {
        if (catchUpTo !== undefined) {
          for (;;) {
            const page = await this.#store.readRange(
              filter,
              lastSent,
              catchUpTo,
              this.#replayBatchSize,
            );
            for (const event of page) {
              if (replayBudget <= 0) {
                await this.#replayLimit(write, lastSent);
                return;
              }
              if (await send(event)) replayBudget--;
            }
            if (page.length < this.#replayBatchSize) {
              break;
            }
          }
          catchUpTo = undefined;
          replayBudget = Infinity;
        }
        while (buffer.length > 0 && !overflow) {
          const event = buffer.shift()!;
          holder.length = buffer.length;
          await send(event);
        }
        if (overflow) {
          // Everything dropped is in the table below the tailer's cursor.
          overflow = false;
          buffer = [];
          holder.length = 0;
          catchUpTo = this.#tailer.cursor;
          continue;
        }
        if (!closed) {
          await waitForWork();
        }
      }
    } catch (error) {
      if (!(error instanceof ClosedError)) {
        res.write(
          `event: error\ndata: ${JSON.stringify({
            message: String(error),
          })}\n\n`,
        );
      }
    } finally {
      clearInterval(heartbeat);
      clearTimeout(lifetime);
      subscription.unsubscribe();
      this.#buffers.delete(holder);
      req.off('close', onClose);
      this.#shutdown?.removeEventListener('abort', onClose);
      res.end();
    }
  }

  /** Ends a replay that reached `maxReplayEvents`. */
  async #replayLimit(write: (chunk: string) => Promise<void>, last: bigint) {
    // Events read but not readable were skipped: resuming after `last`
    // does not read them again.
    const message = `This stream replays at most ${
      this.#maxReplay
    } events (slipway.events.stream.maxReplayEvents) and more are waiting: resume from lastEventId ${last}, or load them with GET /events`;
    await write(
      `id: ${last}\nevent: replay-limit\ndata: ${JSON.stringify({
        message,
        lastEventId: String(last),
      })}\n\n`,
    );
  }
}
