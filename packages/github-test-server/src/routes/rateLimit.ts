import { RouteContext } from './context';

/** `GET /rate_limit`: where the core window stands. */
export function rateLimitRoutes({ router, rateLimit }: RouteContext): void {
  router.route('GET', '/rate_limit', () => ({
    status: 200,
    body: {
      resources: {
        core: {
          limit: rateLimit.limit,
          remaining: rateLimit.remaining,
          reset: rateLimit.reset,
        },
      },
    },
  }));
}
