import { randomUUID } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';
import { authenticate } from './access';
import { githubError, notFound, requiresAuthentication } from './errors';
import { RateLimit, rateLimitExceeded } from './rateLimit';
import { GithubStore } from './store';
import { ApiCall, ApiResult, GithubTestToken } from './types';

/** Answers one API route. */
export type Handler = (call: ApiCall) => Promise<ApiResult> | ApiResult;

interface Route {
  method: string;
  pattern: RegExp;
  keys: string[];
  handler: Handler;
  /** Classic-token scopes of which one is needed; undefined: none needed. */
  scopes?: string[];
}

const INVALID = Symbol('invalid');

/**
 * The REST API under `/api/v3`. What every endpoint shares is answered here,
 * before its handler runs: bad credentials, injected responses, the rate
 * limit, missing authentication or classic-token scopes, a body that is not
 * JSON.
 */
export class ApiRouter {
  private readonly routes: Route[] = [];
  private readonly injected: ApiResult[] = [];

  constructor(
    private readonly store: GithubStore,
    private readonly rateLimit: RateLimit,
  ) {}

  /** `scopes`: classic-token scopes of which one is needed. */
  route(method: string, pattern: string, handler: Handler, scopes?: string[]) {
    const keys: string[] = [];
    // `:name` matches one segment, `:name*` the rest of the path.
    const source = pattern.replace(/:([a-z_]+)(\*?)/gi, (_, key, rest) => {
      keys.push(key);
      return rest ? '(.+)' : '([^/]+)';
    });
    this.routes.push({
      method,
      pattern: new RegExp(`^${source}/?$`),
      keys,
      handler,
      scopes,
    });
  }

  inject(result: ApiResult, times: number): void {
    for (let i = 0; i < times; i++) this.injected.push(result);
  }

  async handle(req: IncomingMessage, url: URL): Promise<ApiResult> {
    const apiPath = url.pathname.slice('/api/v3'.length) || '/';
    const auth = authenticate(this.store.tokens, req);
    if (auth === 'bad') {
      return githubError(401, 'Bad credentials');
    }
    const rate = { ...this.rateLimit.headers(), ...oauthScopes(auth) };
    if (this.injected.length) {
      const injected = this.injected.shift()!;
      return { ...injected, headers: { ...rate, ...injected.headers } };
    }
    if (!this.rateLimit.take()) {
      return {
        ...rateLimitExceeded(),
        headers: { ...rate, 'x-ratelimit-remaining': '0' },
      };
    }
    rate['x-ratelimit-remaining'] = String(this.rateLimit.remaining);

    for (const route of this.routes) {
      if (route.method !== req.method) continue;
      const match = apiPath.match(route.pattern);
      if (!match) continue;
      const params = Object.fromEntries(
        route.keys.map((key, i) => [key, decodeURIComponent(match[i + 1])]),
      );
      if (route.scopes && !auth) {
        return { ...requiresAuthentication(), headers: rate };
      }
      if (route.scopes && auth?.kind === 'classic') {
        const has = new Set(auth.scopes ?? []);
        if (!route.scopes.some(scope => has.has(scope))) {
          // Classic tokens without the scope get a 404, and the scopes the
          // endpoint accepts in X-Accepted-OAuth-Scopes.
          return {
            ...notFound(),
            headers: {
              ...rate,
              'x-accepted-oauth-scopes': route.scopes.join(', '),
            },
          };
        }
      }
      const body = await readJson(req);
      if (body === INVALID) {
        return {
          ...githubError(400, 'Problems parsing JSON'),
          headers: rate,
        };
      }
      const user =
        auth?.kind === 'classic' && auth.login
          ? this.store.account(auth.login)
          : undefined;
      const result = await route.handler({
        req,
        params,
        query: url.searchParams,
        body,
        token: auth,
        user,
      });
      return {
        ...result,
        headers: {
          ...rate,
          ...(route.scopes
            ? { 'x-accepted-oauth-scopes': route.scopes.join(', ') }
            : {}),
          ...result.headers,
        },
      };
    }
    return { ...notFound(), headers: rate };
  }
}

/** Writes an API result with the headers GitHub puts on every answer. */
export function sendApiResult(res: ServerResponse, result: ApiResult): void {
  const headers: Record<string, string> = {
    'x-github-request-id': randomUUID(),
    'x-github-media-type': 'github.v3; format=json',
    ...result.headers,
  };
  if (result.raw) {
    headers['content-type'] ??= 'application/octet-stream';
    res.writeHead(result.status, headers);
    res.end(result.raw);
    return;
  }
  if (result.body !== undefined) {
    headers['content-type'] = 'application/json; charset=utf-8';
  }
  res.writeHead(result.status, headers);
  res.end(result.body === undefined ? undefined : JSON.stringify(result.body));
}

// Classic tokens show their scopes on every answer; app tokens have none.
function oauthScopes(token?: GithubTestToken): Record<string, string> {
  return token?.kind === 'classic'
    ? { 'x-oauth-scopes': (token.scopes ?? []).join(', ') }
    : {};
}

async function readJson(req: IncomingMessage): Promise<any> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    return INVALID;
  }
}
