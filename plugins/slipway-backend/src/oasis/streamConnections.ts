import type { Response } from 'express';

/**
 * Counts the open `/events/stream` connections per caller (user or
 * service) and refuses one beyond `maxPerCaller`.
 */
export class StreamConnections {
  readonly #max: number;
  readonly #open = new Map<string, number>();

  constructor(options: { maxPerCaller: number }) {
    this.#max = Math.max(1, options.maxPerCaller);
  }

  get maxPerCaller(): number {
    return this.#max;
  }

  /** Open streams of a caller. */
  count(principal: string): number {
    return this.#open.get(principal) ?? 0;
  }

  /**
   * Takes a slot for `principal`: a function that frees it, or undefined
   * when the caller already holds `maxPerCaller` streams.
   */
  tryAcquire(principal: string): (() => void) | undefined {
    const open = this.count(principal);
    if (open >= this.#max) return undefined;
    this.#open.set(principal, open + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = this.count(principal) - 1;
      if (left > 0) this.#open.set(principal, left);
      else this.#open.delete(principal);
    };
  }

  /** The 429 answer (Backstage's error shape) for a caller over the cap. */
  refuse(res: Response, method: string, url: string): void {
    res
      .status(429)
      .setHeader('Retry-After', '10')
      .json({
        error: {
          name: 'TooManyRequestsError',
          message: `You already have ${
            this.#max
          } open event streams, the most slipway.events.stream.maxConnectionsPerUser allows; close one (another tab or window) and try again`,
        },
        request: { method, url },
        response: { statusCode: 429 },
      });
  }
}
