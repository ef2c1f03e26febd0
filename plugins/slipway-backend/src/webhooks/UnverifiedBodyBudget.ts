/** Default of `slipway.github.maxUnverifiedBytesInFlight`. */
export const DEFAULT_MAX_UNVERIFIED_BYTES = 64 * 1024 * 1024;

/** Bodies up to this size count as small: typical GitHub deliveries. */
export const SMALL_BODY_BYTES = 1024 * 1024;

/**
 * Bytes of webhook bodies being read before their signature could be
 * checked, across all requests of this process. A request reserves its
 * declared length (or the largest allowed body when it declares none)
 * before a byte is read, and gives it back when its response ends.
 *
 * A quarter of the budget is kept for small bodies: large unsigned posts
 * alone can never take all of it, so the ordinary deliveries of GitHub
 * (tens of kilobytes) keep getting through while they flood the endpoint.
 */
export class UnverifiedBodyBudget {
  private inFlight = 0;
  private largeInFlight = 0;
  private readonly largeLimit: number;

  constructor(readonly limit: number = DEFAULT_MAX_UNVERIFIED_BYTES) {
    if (!Number.isFinite(limit) || limit < SMALL_BODY_BYTES) {
      throw new Error(
        `slipway.github.maxUnverifiedBytesInFlight must be at least ${SMALL_BODY_BYTES} bytes`,
      );
    }
    this.largeLimit = limit - Math.floor(limit / 4);
  }

  /** Bytes reserved now (for tests and diagnostics). */
  get reserved(): number {
    return this.inFlight;
  }

  /**
   * Reserves `bytes`; returns the function that gives them back (safe to
   * call more than once), or `undefined` when the budget has no room.
   */
  tryReserve(bytes: number): (() => void) | undefined {
    const large = bytes > SMALL_BODY_BYTES;
    if (this.inFlight + bytes > this.limit) return undefined;
    if (large && this.largeInFlight + bytes > this.largeLimit) return undefined;
    this.inFlight += bytes;
    if (large) this.largeInFlight += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight -= bytes;
      if (large) this.largeInFlight -= bytes;
    };
  }
}
