import { githubError } from './errors';
import { ApiResult } from './types';

/**
 * GitHub's primary rate limit on the `core` resource: one window of
 * `limit` requests, counted down per API request.
 */
export class RateLimit {
  remaining: number;
  reset = Math.floor(Date.now() / 1000) + 3600;

  constructor(readonly limit: number) {
    this.remaining = limit;
  }

  set(remaining: number, resetEpochSeconds?: number): void {
    this.remaining = remaining;
    if (resetEpochSeconds) this.reset = resetEpochSeconds;
  }

  /** Counts one request; false when the window has none left. */
  take(): boolean {
    if (this.remaining <= 0) return false;
    this.remaining--;
    return true;
  }

  headers(): Record<string, string> {
    const remaining = Math.max(0, this.remaining);
    return {
      'x-ratelimit-limit': String(this.limit),
      'x-ratelimit-remaining': String(remaining),
      'x-ratelimit-reset': String(this.reset),
      'x-ratelimit-used': String(this.limit - remaining),
      'x-ratelimit-resource': 'core',
    };
  }
}

/** GitHub's answer once the window is used up (a 403, not a 429). */
export function rateLimitExceeded(): ApiResult {
  return githubError(
    403,
    'API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID.',
    {
      documentationUrl:
        'https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting',
    },
  );
}
