/**
 * How a followed stream reconnects after it broke off.
 *
 * @public
 */
export interface ReconnectOptions {
  /** Wait before the first reconnect; it doubles per failed attempt. Default 1000. */
  minDelayMs?: number;
  /** Longest wait between attempts. Default 10000. */
  maxDelayMs?: number;
  /**
   * Failed attempts in a row after which the follow gives up and rejects.
   * Default 20 (about three minutes with the default delays).
   */
  maxAttempts?: number;
}

/**
 * Why and when a followed stream reconnects.
 *
 * @public
 */
export interface ReconnectInfo {
  /** Failed attempts in a row, from 1. */
  attempt: number;
  /** Milliseconds until the next attempt. */
  delayMs: number;
  /** Why the last connection ended. */
  error: Error;
  /** The id the next connection resumes after, when any was seen. */
  lastEventId?: string;
}

const DEFAULTS: Required<ReconnectOptions> = {
  minDelayMs: 1000,
  maxDelayMs: 10_000,
  maxAttempts: 20,
};

/**
 * Orders decimal event ids (as strings, so beyond 2^53 too); other ids
 * compare as text.
 *
 * @public
 */
export function compareEventIds(a: string, b: string): number {
  const numeric = /^\d+$/;
  if (numeric.test(a) && numeric.test(b)) {
    const x = a.replace(/^0+(?=\d)/, '');
    const y = b.replace(/^0+(?=\d)/, '');
    if (x.length !== y.length) return x.length - y.length;
  }
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/**
 * Wait before reconnect attempt `attempt` (from 1): `minMs` doubling per
 * attempt, at most `maxMs`.
 *
 * @public
 */
export function reconnectDelay(
  attempt: number,
  minMs: number,
  maxMs: number,
): number {
  return Math.min(maxMs, minMs * 2 ** Math.min(Math.max(attempt - 1, 0), 10));
}

const fatalErrors = new WeakSet<object>();

/** Marks an error so a follow rethrows it instead of reconnecting. */
export function fatalError(error: unknown): Error {
  // Any object is kept as it is (errors of another realm fail instanceof).
  const e =
    error && typeof error === 'object' ? error : new Error(String(error));
  fatalErrors.add(e);
  return e as Error;
}

/**
 * Whether a stream that failed with `error` may work on another attempt: a
 * network failure (fetch rejects with a `TypeError`, also when the body breaks
 * off), a 5xx answer, 408 or 429. Any other 4xx answer (the deployment is gone,
 * access denied) stays wrong however often it is asked.
 *
 * @public
 */
export function isRetryableStreamError(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  if (fatalErrors.has(error)) return false;
  if ((error as { name?: unknown }).name === 'AbortError') return false;
  const status =
    (error as { statusCode?: unknown }).statusCode ??
    (error as { response?: { status?: unknown } }).response?.status;
  if (typeof status === 'number') {
    return status >= 500 || status === 408 || status === 429;
  }
  // By name, not instanceof: fetch may come from another realm (Node's own
  // fetch under a test runner's sandbox).
  return (error as { name?: unknown }).name === 'TypeError';
}

function waitUnlessAborted(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    let timer: ReturnType<typeof setTimeout> | undefined = undefined;
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** What one connection of a followed stream reports back. */
export interface FollowAttempt {
  /** The server accepted the stream. */
  opened(): void;
  /** Something new arrived: the stream is making progress. */
  progressed(): void;
  /** The final message arrived: there is nothing more to follow. */
  finished(): void;
}

/**
 * Runs `connect` until a connection reports `finished`, reconnecting with a
 * doubling backoff when a connection ends early or fails with a retryable
 * error. The count of failed attempts starts over once a connection brought
 * something new or stayed open (answered) for `maxDelayMs`, so a healthy stream cut now
 * and then (a proxy's time limit) is followed to its end, while one that
 * keeps failing gives up after `maxAttempts` attempts in a row.
 *
 * Rejects with the error of a non-retryable failure, with the signal's reason
 * when aborted, or with an error naming `what` when it gives up. With
 * `reconnect: false` the first connection is the only one: it resolves when
 * that stream ends and rejects when it fails.
 */
export async function followWithReconnect(options: {
  what: string;
  connect: (attempt: FollowAttempt) => Promise<void>;
  lastEventId: () => string | undefined;
  signal?: AbortSignal;
  reconnect?: ReconnectOptions | false;
  onReconnecting?: (info: ReconnectInfo) => void;
}): Promise<void> {
  const { signal } = options;
  const settings = { ...DEFAULTS, ...(options.reconnect || {}) };
  let failures = 0;
  // The loop ends by finishing, by a fatal error, by an abort, or after
  // maxAttempts failures in a row; the cap on rounds is a second bound.
  for (let round = 0; round < 1_000_000; round++) {
    if (signal?.aborted) throw signal.reason;
    let finished = false;
    let progressed = false;
    let openedAt: number | undefined = undefined;
    let error: Error;
    try {
      await options.connect({
        opened: () => {
          openedAt = Date.now();
        },
        progressed: () => {
          progressed = true;
        },
        finished: () => {
          finished = true;
        },
      });
      // Without reconnecting, a stream that ends is simply over.
      if (finished || options.reconnect === false) return;
      error = new Error(`${options.what} ended before its final status`);
    } catch (e) {
      if (signal?.aborted) throw e;
      // A stream cut after the final message has nothing more to tell.
      if (finished) return;
      if (options.reconnect === false || !isRetryableStreamError(e)) throw e;
      error = e as Error;
    }
    // Measured from the answer, so a connect that hangs before failing does
    // not pass for a healthy stream.
    if (
      progressed ||
      (openedAt !== undefined && Date.now() - openedAt >= settings.maxDelayMs)
    ) {
      failures = 0;
    }
    failures += 1;
    if (failures > settings.maxAttempts) {
      throw new Error(
        `Lost ${options.what} and could not reconnect in ${settings.maxAttempts} attempts; last error: ${error.message}`,
        { cause: error },
      );
    }
    const delayMs = reconnectDelay(
      failures,
      settings.minDelayMs,
      settings.maxDelayMs,
    );
    options.onReconnecting?.({
      attempt: failures,
      delayMs,
      error,
      lastEventId: options.lastEventId(),
    });
    await waitUnlessAborted(delayMs, signal);
  }
  throw new Error(`Gave up following ${options.what}`);
}
