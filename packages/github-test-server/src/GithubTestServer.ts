import { execFileSync } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http, { IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { serveGit } from './gitHttpBackend';

const DOCS = 'https://docs.github.com/rest';
const INVALID = Symbol('invalid');

/** A user or organization account. @public */
export interface GithubAccount {
  login: string;
  id: number;
  type: 'User' | 'Organization';
  /** Organization members (logins). */
  members: string[];
}

/**
 * A token the server accepts. `classic` tokens carry OAuth scopes (sent back
 * in `X-OAuth-Scopes`, checked per endpoint like GitHub's classic personal
 * access tokens); `app` tokens are GitHub App installation tokens on one
 * account: they cannot use `/user` nor create repositories for a user.
 * @public
 */
export interface GithubTestToken {
  token: string;
  kind: 'classic' | 'app';
  /** The user a classic token belongs to. */
  login?: string;
  scopes?: string[];
  /** The account an app token is installed on. */
  installationOwner?: string;
}

/** A stored repository. @public */
export interface GithubTestRepo {
  id: number;
  owner: string;
  name: string;
  description: string | null;
  private: boolean;
  visibility: 'public' | 'private' | 'internal';
  defaultBranch: string;
  topics: string[];
  createdAt: string;
  updatedAt: string;
  pushedAt: string | null;
  hasIssues: boolean;
  homepage: string | null;
}

/** A repository or organization webhook. @public */
export interface GithubTestHook {
  id: number;
  /** `owner/repo` for a repository hook, the org login for an org hook. */
  target: string;
  type: 'Repository' | 'Organization';
  active: boolean;
  events: string[];
  config: {
    url: string;
    content_type: 'json' | 'form';
    secret?: string;
    insecure_ssl: string;
  };
  createdAt: string;
  updatedAt: string;
  lastResponse: { code: number | null; status: string; message: string | null };
}

/** One webhook delivery the server sent. @public */
export interface GithubTestDelivery {
  guid: string;
  hookId: number;
  event: string;
  deliveredAt: string;
  statusCode: number | null;
  error?: string;
  payload: unknown;
}

/** A request the server answered, for assertions. @public */
export interface GithubTestRequest {
  method: string;
  path: string;
  status: number;
  /** Response body bytes, for git requests (to measure transfers). */
  bytes?: number;
}

type Handler = (call: ApiCall) => Promise<ApiResult> | ApiResult;

/** What an API route handler gets. @public */
export interface ApiCall {
  req: IncomingMessage;
  params: Record<string, string>;
  query: URLSearchParams;
  body: any;
  token?: GithubTestToken;
  /** The acting user (classic token) — undefined for app tokens. */
  user?: GithubAccount;
}

/** What an API route handler returns. @public */
export interface ApiResult {
  status: number;
  body?: unknown;
  /** Sent as is instead of JSON (e.g. raw file contents). */
  raw?: Buffer;
  headers?: Record<string, string>;
}

interface Route {
  method: string;
  pattern: RegExp;
  keys: string[];
  handler: Handler;
  /** Classic-token scopes of which one is needed; undefined: none needed. */
  scopes?: string[];
}

/** Options of {@link GithubTestServer.start}. @public */
export interface GithubTestServerOptions {
  /** Send a `ping` delivery when a hook is created, like GitHub (true). */
  pingOnHookCreate?: boolean;
  /** Requests per rate-limit window (5000). */
  rateLimit?: number;
}

/**
 * A GitHub stand-in listening on 127.0.0.1 for tests, speaking the REST
 * endpoints Slipway uses with bodies and errors shaped as GitHub documents
 * them, and git over smart HTTP (through `git http-backend`) for the
 * repositories it holds. Other routes can be added with {@link route}.
 *
 * API base URL: `${baseUrl}/api/v3` (as GitHub Enterprise); web and git:
 * `${baseUrl}/<owner>/<repo>(.git)`.
 *
 * @public
 */
export class GithubTestServer {
  readonly accounts = new Map<string, GithubAccount>();
  readonly tokens = new Map<string, GithubTestToken>();
  readonly repos = new Map<string, GithubTestRepo>();
  readonly hooks: GithubTestHook[] = [];
  readonly deliveries: GithubTestDelivery[] = [];
  readonly requests: GithubTestRequest[] = [];
  private readonly routes: Route[] = [];
  private readonly injected: ApiResult[] = [];
  private nextId = 1000;
  private rateRemaining: number;
  private rateReset = Math.floor(Date.now() / 1000) + 3600;
  private pendingDeliveries = new Set<Promise<unknown>>();

  private constructor(
    private readonly server: http.Server,
    readonly reposDir: string,
    private readonly options: GithubTestServerOptions,
  ) {
    this.rateRemaining = options.rateLimit ?? 5000;
    this.registerRoutes();
  }

  /** Starts a server on 127.0.0.1 at an ephemeral port. */
  static async start(
    options: GithubTestServerOptions = {},
  ): Promise<GithubTestServer> {
    const reposDir = fs.mkdtempSync(path.join(os.tmpdir(), 'github-test-'));
    const server = http.createServer();
    const instance = new GithubTestServer(server, reposDir, options);
    server.on('request', (req, res) => {
      instance.handle(req, res).catch(error => {
        res.statusCode = 500;
        res.end(JSON.stringify({ message: String(error) }));
      });
    });
    await new Promise<void>(resolve =>
      server.listen(0, '127.0.0.1', () => resolve()),
    );
    return instance;
  }

  /** `http://127.0.0.1:<port>` */
  get baseUrl(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** `127.0.0.1:<port>`, the `host` of a Backstage integration. */
  get host(): string {
    return new URL(this.baseUrl).host;
  }

  get apiBaseUrl(): string {
    return `${this.baseUrl}/api/v3`;
  }

  /** A Backstage `integrations.github` entry for this server. */
  integrationConfig(token?: string) {
    return {
      host: this.host,
      apiBaseUrl: this.apiBaseUrl,
      rawBaseUrl: `${this.baseUrl}/raw`,
      ...(token ? { token } : {}),
    };
  }

  addUser(login: string): GithubAccount {
    const account: GithubAccount = {
      login,
      id: this.nextId++,
      type: 'User',
      members: [],
    };
    this.accounts.set(login.toLowerCase(), account);
    return account;
  }

  addOrg(login: string, members: string[] = []): GithubAccount {
    const account: GithubAccount = {
      login,
      id: this.nextId++,
      type: 'Organization',
      members,
    };
    this.accounts.set(login.toLowerCase(), account);
    return account;
  }

  addToken(token: GithubTestToken): void {
    this.tokens.set(token.token, token);
  }

  /** Answers the next API request(s) with this result instead (errors). */
  injectResponse(result: ApiResult, times = 1): void {
    for (let i = 0; i < times; i++) this.injected.push(result);
  }

  /** Sets the primary rate limit state. */
  setRateLimit(remaining: number, resetEpochSeconds?: number): void {
    this.rateRemaining = remaining;
    if (resetEpochSeconds) this.rateReset = resetEpochSeconds;
  }

  repo(owner: string, name: string): GithubTestRepo | undefined {
    return this.repos.get(`${owner}/${name}`.toLowerCase());
  }

  /** The bare git repository behind a stored repository. */
  repoPath(owner: string, name: string): string {
    return path.join(
      this.reposDir,
      owner.toLowerCase(),
      `${name.toLowerCase()}.git`,
    );
  }

  hooksOf(target: string): GithubTestHook[] {
    return this.hooks.filter(
      hook => hook.target.toLowerCase() === target.toLowerCase(),
    );
  }

  /** Creates a repository directly (test setup). */
  createRepo(
    owner: string,
    name: string,
    fields: Partial<
      Pick<
        GithubTestRepo,
        'description' | 'private' | 'defaultBranch' | 'topics'
      >
    > = {},
  ): GithubTestRepo {
    const now = new Date().toISOString();
    const repo: GithubTestRepo = {
      id: this.nextId++,
      owner: this.account(owner)!.login,
      name,
      description: fields.description ?? null,
      private: fields.private ?? false,
      visibility: fields.private ? 'private' : 'public',
      defaultBranch: fields.defaultBranch ?? 'main',
      topics: fields.topics ?? [],
      createdAt: now,
      updatedAt: now,
      pushedAt: null,
      hasIssues: true,
      homepage: null,
    };
    this.repos.set(`${owner}/${name}`.toLowerCase(), repo);
    const dir = this.repoPath(owner, name);
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    execFileSync('git', [
      'init',
      '-q',
      '--bare',
      '-b',
      repo.defaultBranch,
      dir,
    ]);
    execFileSync('git', [
      '-C',
      dir,
      'config',
      'uploadpack.allowFilter',
      'true',
    ]);
    execFileSync('git', [
      '-C',
      dir,
      'config',
      'uploadpack.allowAnySHA1InWant',
      'true',
    ]);
    execFileSync('git', ['-C', dir, 'config', 'http.receivepack', 'true']);
    return repo;
  }

  /**
   * Adds an API route (path relative to the API base, `:name` parameters).
   * For endpoints a later test needs (e.g. Actions runs for polling).
   */
  route(
    method: string,
    pathPattern: string,
    handler: Handler,
    scopes?: string[],
  ): void {
    const keys: string[] = [];
    // `:name` matches one segment, `:name*` the rest of the path.
    const source = pathPattern.replace(/:([a-z_]+)(\*?)/gi, (_, key, rest) => {
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

  /**
   * Sends a webhook delivery of `event` to every active hook of the
   * repository (and of its owner organization) subscribed to it, signed
   * with each hook's secret. Resolves when all were answered.
   */
  async deliverEvent(
    owner: string,
    repoName: string,
    event: string,
    payload: Record<string, unknown>,
  ): Promise<GithubTestDelivery[]> {
    const targets = [
      ...this.hooksOf(`${owner}/${repoName}`),
      ...this.hooksOf(owner).filter(h => h.type === 'Organization'),
    ].filter(
      hook =>
        hook.active &&
        (hook.events.includes(event) || hook.events.includes('*')),
    );
    return Promise.all(targets.map(hook => this.deliver(hook, event, payload)));
  }

  /** Waits until every delivery in flight was answered. */
  async settle(): Promise<void> {
    await Promise.all([...this.pendingDeliveries]);
  }

  async close(): Promise<void> {
    await this.settle();
    await new Promise<void>(resolve => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    fs.rmSync(this.reposDir, { recursive: true, force: true });
  }

  // --- JSON shapes, as documented by GitHub -------------------------------

  accountJson(account: GithubAccount) {
    const api = `${this.apiBaseUrl}/${
      account.type === 'User' ? 'users' : 'orgs'
    }/${account.login}`;
    return {
      login: account.login,
      id: account.id,
      node_id: Buffer.from(`${account.type}${account.id}`).toString('base64'),
      avatar_url: `${this.baseUrl}/avatars/${account.login}`,
      gravatar_id: '',
      url: api,
      html_url: `${this.baseUrl}/${account.login}`,
      repos_url: `${api}/repos`,
      type: account.type,
      site_admin: false,
    };
  }

  orgJson(account: GithubAccount) {
    const api = `${this.apiBaseUrl}/orgs/${account.login}`;
    return {
      login: account.login,
      id: account.id,
      node_id: Buffer.from(`Organization${account.id}`).toString('base64'),
      url: api,
      repos_url: `${api}/repos`,
      hooks_url: `${api}/hooks`,
      members_url: `${api}/members{/member}`,
      avatar_url: `${this.baseUrl}/avatars/${account.login}`,
      description: null,
      html_url: `${this.baseUrl}/${account.login}`,
      type: 'Organization',
    };
  }

  repoJson(repo: GithubTestRepo) {
    const owner = this.account(repo.owner)!;
    const fullName = `${repo.owner}/${repo.name}`;
    const api = `${this.apiBaseUrl}/repos/${fullName}`;
    return {
      id: repo.id,
      node_id: Buffer.from(`Repository${repo.id}`).toString('base64'),
      name: repo.name,
      full_name: fullName,
      private: repo.private,
      owner: this.accountJson(owner),
      html_url: `${this.baseUrl}/${fullName}`,
      description: repo.description,
      fork: false,
      url: api,
      hooks_url: `${api}/hooks`,
      git_url: `git://${this.host}/${fullName}.git`,
      ssh_url: `git@${this.host}:${fullName}.git`,
      clone_url: `${this.baseUrl}/${fullName}.git`,
      homepage: repo.homepage,
      size: 0,
      default_branch: repo.defaultBranch,
      visibility: repo.visibility,
      topics: repo.topics,
      has_issues: repo.hasIssues,
      archived: false,
      disabled: false,
      created_at: repo.createdAt,
      updated_at: repo.updatedAt,
      pushed_at: repo.pushedAt,
      permissions: {
        admin: true,
        maintain: true,
        push: true,
        triage: true,
        pull: true,
      },
    };
  }

  hookJson(hook: GithubTestHook) {
    const base =
      hook.type === 'Repository'
        ? `${this.apiBaseUrl}/repos/${hook.target}/hooks/${hook.id}`
        : `${this.apiBaseUrl}/orgs/${hook.target}/hooks/${hook.id}`;
    return {
      type: hook.type,
      id: hook.id,
      name: 'web',
      active: hook.active,
      events: hook.events,
      config: {
        content_type: hook.config.content_type,
        insecure_ssl: hook.config.insecure_ssl,
        url: hook.config.url,
        ...(hook.config.secret ? { secret: '********' } : {}),
      },
      updated_at: hook.updatedAt,
      created_at: hook.createdAt,
      url: base,
      ...(hook.type === 'Repository' ? { test_url: `${base}/test` } : {}),
      ping_url: `${base}/pings`,
      deliveries_url: `${base}/deliveries`,
      last_response: hook.lastResponse,
    };
  }

  // --- internals ------------------------------------------------------------

  private account(login: string): GithubAccount | undefined {
    return this.accounts.get(login.toLowerCase());
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', this.baseUrl);
    const record = (status: number, bytes?: number) =>
      this.requests.push({
        method: req.method ?? 'GET',
        path: url.pathname,
        status,
        ...(bytes === undefined ? {} : { bytes }),
      });
    if (url.pathname.startsWith('/api/v3/') || url.pathname === '/api/v3') {
      const result = await this.handleApi(req, url);
      record(result.status);
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
      res.end(
        result.body === undefined ? undefined : JSON.stringify(result.body),
      );
      return;
    }
    const git = url.pathname.match(
      /^\/([^/]+)\/([^/]+?)(?:\.git)?\/(info\/refs|git-upload-pack|git-receive-pack)$/,
    );
    if (git) {
      this.handleGit(req, res, url, git[1], git[2], git[3], record);
      return;
    }
    record(404);
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('Not Found');
  }

  private authenticate(
    req: IncomingMessage,
  ): GithubTestToken | undefined | 'bad' {
    const header = req.headers.authorization;
    if (!header) return undefined;
    const [scheme, value = ''] = header.split(' ');
    let token = value;
    if (scheme.toLowerCase() === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      token = decoded.slice(decoded.indexOf(':') + 1);
    } else if (!['token', 'bearer'].includes(scheme.toLowerCase())) {
      return 'bad';
    }
    return this.tokens.get(token) ?? 'bad';
  }

  private rateHeaders(token?: GithubTestToken): Record<string, string> {
    const headers: Record<string, string> = {
      'x-ratelimit-limit': String(this.options.rateLimit ?? 5000),
      'x-ratelimit-remaining': String(Math.max(0, this.rateRemaining)),
      'x-ratelimit-reset': String(this.rateReset),
      'x-ratelimit-used': String(
        (this.options.rateLimit ?? 5000) - Math.max(0, this.rateRemaining),
      ),
      'x-ratelimit-resource': 'core',
    };
    if (token?.kind === 'classic') {
      headers['x-oauth-scopes'] = (token.scopes ?? []).join(', ');
    }
    return headers;
  }

  private async handleApi(req: IncomingMessage, url: URL): Promise<ApiResult> {
    const apiPath = url.pathname.slice('/api/v3'.length) || '/';
    const auth = this.authenticate(req);
    if (auth === 'bad') {
      return {
        status: 401,
        body: {
          message: 'Bad credentials',
          documentation_url: DOCS,
          status: '401',
        },
      };
    }
    const rate = this.rateHeaders(auth);
    if (this.injected.length) {
      const injected = this.injected.shift()!;
      return { ...injected, headers: { ...rate, ...injected.headers } };
    }
    if (this.rateRemaining <= 0) {
      return {
        status: 403,
        headers: { ...rate, 'x-ratelimit-remaining': '0' },
        body: {
          message:
            'API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID.',
          documentation_url:
            'https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting',
          status: '403',
        },
      };
    }
    this.rateRemaining--;
    rate['x-ratelimit-remaining'] = String(this.rateRemaining);

    for (const route of this.routes) {
      if (route.method !== req.method) continue;
      const match = apiPath.match(route.pattern);
      if (!match) continue;
      const params = Object.fromEntries(
        route.keys.map((key, i) => [key, decodeURIComponent(match[i + 1])]),
      );
      if (route.scopes && !auth) {
        return {
          status: 401,
          headers: rate,
          body: {
            message: 'Requires authentication',
            documentation_url: DOCS,
            status: '401',
          },
        };
      }
      if (route.scopes && auth?.kind === 'classic') {
        const has = new Set(auth.scopes ?? []);
        if (!route.scopes.some(scope => has.has(scope))) {
          // Classic tokens without the scope get a 404, and the scopes the
          // endpoint accepts in X-Accepted-OAuth-Scopes.
          return {
            status: 404,
            headers: {
              ...rate,
              'x-accepted-oauth-scopes': route.scopes.join(', '),
            },
            body: {
              message: 'Not Found',
              documentation_url: DOCS,
              status: '404',
            },
          };
        }
      }
      const body = await readJson(req);
      if (body === INVALID) {
        return {
          status: 400,
          headers: rate,
          body: {
            message: 'Problems parsing JSON',
            documentation_url: DOCS,
            status: '400',
          },
        };
      }
      const user =
        auth?.kind === 'classic' && auth.login
          ? this.account(auth.login)
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
    return { status: 404, headers: rate, body: notFound() };
  }

  /** Whether the token may write to repositories of `owner`. */
  private canWrite(token: GithubTestToken | undefined, owner: string): boolean {
    if (!token) return false;
    const account = this.account(owner);
    if (!account) return false;
    if (token.kind === 'app') {
      return token.installationOwner?.toLowerCase() === owner.toLowerCase();
    }
    const login = token.login?.toLowerCase();
    return (
      account.login.toLowerCase() === login ||
      account.members.some(member => member.toLowerCase() === login)
    );
  }

  private canRead(token: GithubTestToken | undefined, repo: GithubTestRepo) {
    return !repo.private || this.canWrite(token, repo.owner);
  }

  private findRepo(call: ApiCall): GithubTestRepo | undefined {
    const repo = this.repo(call.params.owner, call.params.repo);
    return repo && this.canRead(call.token, repo) ? repo : undefined;
  }

  private registerRoutes() {
    const repoScopes = ['repo', 'public_repo'];
    const hookScopes = ['admin:repo_hook', 'write:repo_hook', 'repo'];
    const readHookScopes = [...hookScopes, 'read:repo_hook'];
    const orgHookScopes = ['admin:org_hook'];

    this.route('GET', '/user', ({ token, user }) => {
      if (!token) {
        return {
          status: 401,
          body: {
            message: 'Requires authentication',
            documentation_url: DOCS,
            status: '401',
          },
        };
      }
      if (!user) {
        return {
          status: 403,
          body: {
            message: 'Resource not accessible by integration',
            documentation_url:
              'https://docs.github.com/rest/users/users#get-the-authenticated-user',
            status: '403',
          },
        };
      }
      return { status: 200, body: this.accountJson(user) };
    });

    this.route('GET', '/users/:user', ({ params }) => {
      const account = this.account(params.user);
      return account
        ? { status: 200, body: this.accountJson(account) }
        : { status: 404, body: notFound() };
    });

    this.route('GET', '/orgs/:org', ({ params }) => {
      const account = this.account(params.org);
      return account?.type === 'Organization'
        ? { status: 200, body: this.orgJson(account) }
        : { status: 404, body: notFound() };
    });

    this.route('GET', '/rate_limit', () => ({
      status: 200,
      body: {
        resources: {
          core: {
            limit: this.options.rateLimit ?? 5000,
            remaining: this.rateRemaining,
            reset: this.rateReset,
          },
        },
      },
    }));

    const createRepo = (owner: GithubAccount, call: ApiCall): ApiResult => {
      const { body } = call;
      const name = typeof body?.name === 'string' ? body.name : '';
      if (!/^[A-Za-z0-9._-]{1,100}$/.test(name)) {
        return validationFailed(
          'Repository',
          'name',
          'missing_field',
          'name is invalid',
        );
      }
      if (this.repo(owner.login, name)) {
        return {
          status: 422,
          body: {
            message: 'Repository creation failed.',
            errors: [
              {
                resource: 'Repository',
                code: 'custom',
                field: 'name',
                message: 'name already exists on this account',
              },
            ],
            documentation_url: `${DOCS}/repos/repos#create-a-repository-for-the-authenticated-user`,
            status: '422',
          },
        };
      }
      const isPrivate =
        body.private === true ||
        body.visibility === 'private' ||
        body.visibility === 'internal';
      const token = call.token!;
      if (
        isPrivate &&
        token.kind === 'classic' &&
        !(token.scopes ?? []).includes('repo')
      ) {
        return {
          status: 404,
          headers: { 'x-accepted-oauth-scopes': 'repo' },
          body: notFound(),
        };
      }
      const repo = this.createRepo(owner.login, name, {
        description: body.description ?? null,
        private: isPrivate,
      });
      if (body.visibility === 'internal') repo.visibility = 'internal';
      if (typeof body.homepage === 'string') repo.homepage = body.homepage;
      if (body.has_issues === false) repo.hasIssues = false;
      return { status: 201, body: this.repoJson(repo) };
    };

    this.route(
      'POST',
      '/user/repos',
      call => {
        if (!call.user) {
          return {
            status: 403,
            body: {
              message: 'Resource not accessible by integration',
              documentation_url: `${DOCS}/repos/repos#create-a-repository-for-the-authenticated-user`,
              status: '403',
            },
          };
        }
        return createRepo(call.user, call);
      },
      repoScopes,
    );

    this.route(
      'POST',
      '/orgs/:org/repos',
      call => {
        const org = this.account(call.params.org);
        if (!org || org.type !== 'Organization') {
          return { status: 404, body: notFound() };
        }
        if (!this.canWrite(call.token, org.login)) {
          return {
            status: 403,
            body: {
              message:
                'You need admin access to the organization before adding a repository to it.',
              documentation_url: `${DOCS}/repos/repos#create-an-organization-repository`,
              status: '403',
            },
          };
        }
        return createRepo(org, call);
      },
      repoScopes,
    );

    this.route('GET', '/repos/:owner/:repo', call => {
      const repo = this.findRepo(call);
      return repo
        ? { status: 200, body: this.repoJson(repo) }
        : { status: 404, body: notFound() };
    });

    this.route(
      'PATCH',
      '/repos/:owner/:repo',
      call => {
        const repo = this.findRepo(call);
        if (!repo || !this.canWrite(call.token, repo.owner))
          return { status: 404, body: notFound() };
        const { body } = call;
        if (typeof body.description === 'string')
          repo.description = body.description;
        if (typeof body.homepage === 'string') repo.homepage = body.homepage;
        if (typeof body.private === 'boolean') {
          repo.private = body.private;
          repo.visibility = body.private ? 'private' : 'public';
        }
        if (typeof body.visibility === 'string') {
          repo.visibility = body.visibility;
          repo.private = body.visibility !== 'public';
        }
        if (typeof body.default_branch === 'string') {
          repo.defaultBranch = body.default_branch;
          execFileSync('git', [
            '-C',
            this.repoPath(repo.owner, repo.name),
            'symbolic-ref',
            'HEAD',
            `refs/heads/${body.default_branch}`,
          ]);
        }
        repo.updatedAt = new Date().toISOString();
        return { status: 200, body: this.repoJson(repo) };
      },
      repoScopes,
    );

    this.route(
      'PUT',
      '/repos/:owner/:repo/topics',
      call => {
        const repo = this.findRepo(call);
        if (!repo || !this.canWrite(call.token, repo.owner))
          return { status: 404, body: notFound() };
        const names: unknown = call.body?.names;
        if (
          !Array.isArray(names) ||
          names.some(
            n => typeof n !== 'string' || !/^[a-z0-9][a-z0-9-]{0,49}$/.test(n),
          )
        ) {
          return validationFailed(
            'Repository',
            'topics',
            'invalid',
            'Topics must start with a lowercase letter or number, consist of 50 characters or less, and can include hyphens.',
          );
        }
        repo.topics = names as string[];
        return { status: 200, body: { names: repo.topics } };
      },
      repoScopes,
    );

    // File contents, as the catalog's GitHub URL reader fetches them: raw
    // with Accept: application/vnd.github.v3.raw, else the JSON document.
    this.route(
      'GET',
      '/repos/:owner/:repo/contents/:path*',
      (call): ApiResult => {
        const repo = this.findRepo(call);
        if (!repo) return { status: 404, body: notFound() };
        const ref = call.query.get('ref') ?? repo.defaultBranch;
        const filePath = call.params.path.replace(/^\/+/, '');
        if (
          !/^[\w./-]+$/.test(ref) ||
          ref.startsWith('-') ||
          filePath.split('/').includes('..')
        ) {
          return { status: 404, body: notFound() };
        }
        let content: Buffer;
        let sha: string;
        try {
          const gitDir = this.repoPath(repo.owner, repo.name);
          sha = execFileSync(
            'git',
            ['--git-dir', gitDir, 'rev-parse', `${ref}:${filePath}`],
            { stdio: 'pipe' },
          )
            .toString()
            .trim();
          content = execFileSync(
            'git',
            ['--git-dir', gitDir, 'cat-file', 'blob', sha],
            { stdio: 'pipe' },
          );
        } catch {
          return { status: 404, body: notFound() };
        }
        const accept = String(call.req.headers.accept ?? '');
        if (accept.includes('raw')) {
          return {
            status: 200,
            raw: content,
            headers: {
              'content-type': 'application/vnd.github.v3.raw',
              etag: `"${sha}"`,
            },
          };
        }
        const html = `${this.baseUrl}/${repo.owner}/${repo.name}/blob/${ref}/${filePath}`;
        return {
          status: 200,
          headers: { etag: `"${sha}"` },
          body: {
            type: 'file',
            encoding: 'base64',
            size: content.length,
            name: path.posix.basename(filePath),
            path: filePath,
            content: content.toString('base64'),
            sha,
            url: `${this.apiBaseUrl}/repos/${repo.owner}/${repo.name}/contents/${filePath}?ref=${ref}`,
            html_url: html,
            download_url: `${this.baseUrl}/raw/${repo.owner}/${repo.name}/${ref}/${filePath}`,
          },
        };
      },
    );

    // Repository and organization hooks share their handlers.
    const hookRoutes = (
      prefix: string,
      type: GithubTestHook['type'],
      scopes: string[],
      readScopes: string[],
    ) => {
      const targetOf = (call: ApiCall): string | undefined => {
        if (type === 'Repository') {
          const repo = this.findRepo(call);
          return repo && this.canWrite(call.token, repo.owner)
            ? `${repo.owner}/${repo.name}`
            : undefined;
        }
        const org = this.account(call.params.org);
        return org?.type === 'Organization' &&
          this.canWrite(call.token, org.login)
          ? org.login
          : undefined;
      };
      const hookOf = (call: ApiCall) => {
        const target = targetOf(call);
        return target
          ? this.hooksOf(target).find(
              h => h.id === Number(call.params.hook_id) && h.type === type,
            )
          : undefined;
      };

      this.route(
        'GET',
        `${prefix}/hooks`,
        call => {
          const target = targetOf(call);
          if (!target) return { status: 404, body: notFound() };
          const all = this.hooksOf(target).filter(h => h.type === type);
          return this.paginate(
            call,
            `${prefix}/hooks`,
            all.map(h => this.hookJson(h)),
          );
        },
        readScopes,
      );

      this.route(
        'POST',
        `${prefix}/hooks`,
        call => {
          const target = targetOf(call);
          if (!target) return { status: 404, body: notFound() };
          const { body } = call;
          const config = body?.config ?? {};
          if (typeof config.url !== 'string' || !config.url) {
            return validationFailed(
              'Hook',
              undefined,
              'custom',
              'Config must contain URL.',
            );
          }
          if (
            this.hooksOf(target).some(
              h => h.type === type && h.config.url === config.url,
            )
          ) {
            return validationFailed(
              'Hook',
              undefined,
              'custom',
              `Hook already exists on this ${
                type === 'Repository' ? 'repository' : 'organization'
              }`,
            );
          }
          const now = new Date().toISOString();
          const hook: GithubTestHook = {
            id: this.nextId++,
            target,
            type,
            active: body.active ?? true,
            events:
              Array.isArray(body.events) && body.events.length
                ? body.events
                : ['push'],
            config: {
              url: config.url,
              content_type: config.content_type === 'json' ? 'json' : 'form',
              secret: config.secret,
              insecure_ssl: String(config.insecure_ssl ?? '0'),
            },
            createdAt: now,
            updatedAt: now,
            lastResponse: { code: null, status: 'unused', message: null },
          };
          this.hooks.push(hook);
          if (this.options.pingOnHookCreate !== false) {
            this.track(this.ping(hook));
          }
          return { status: 201, body: this.hookJson(hook) };
        },
        scopes,
      );

      this.route(
        'GET',
        `${prefix}/hooks/:hook_id`,
        call => {
          const hook = hookOf(call);
          return hook
            ? { status: 200, body: this.hookJson(hook) }
            : { status: 404, body: notFound() };
        },
        readScopes,
      );

      this.route(
        'PATCH',
        `${prefix}/hooks/:hook_id`,
        call => {
          const hook = hookOf(call);
          if (!hook) return { status: 404, body: notFound() };
          const { body } = call;
          if (body.config) {
            if (
              body.config.url !== undefined &&
              (typeof body.config.url !== 'string' || !body.config.url)
            ) {
              return validationFailed(
                'Hook',
                undefined,
                'custom',
                'Config must contain URL.',
              );
            }
            hook.config = {
              url: body.config.url ?? hook.config.url,
              content_type: ['json', 'form'].includes(body.config.content_type)
                ? body.config.content_type
                : hook.config.content_type,
              secret: body.config.secret ?? hook.config.secret,
              insecure_ssl: String(
                body.config.insecure_ssl ?? hook.config.insecure_ssl,
              ),
            };
          }
          if (Array.isArray(body.events)) hook.events = body.events;
          if (Array.isArray(body.add_events))
            hook.events = [...new Set([...hook.events, ...body.add_events])];
          if (typeof body.active === 'boolean') hook.active = body.active;
          hook.updatedAt = new Date().toISOString();
          return { status: 200, body: this.hookJson(hook) };
        },
        scopes,
      );

      this.route(
        'DELETE',
        `${prefix}/hooks/:hook_id`,
        call => {
          const hook = hookOf(call);
          if (!hook) return { status: 404, body: notFound() };
          this.hooks.splice(this.hooks.indexOf(hook), 1);
          return { status: 204 };
        },
        scopes,
      );

      this.route(
        'POST',
        `${prefix}/hooks/:hook_id/pings`,
        call => {
          const hook = hookOf(call);
          if (!hook) return { status: 404, body: notFound() };
          this.track(this.ping(hook));
          return { status: 204 };
        },
        readScopes,
      );
    };
    hookRoutes('/repos/:owner/:repo', 'Repository', hookScopes, readHookScopes);
    hookRoutes('/orgs/:org', 'Organization', orgHookScopes, orgHookScopes);
  }

  private paginate(
    call: ApiCall,
    routePath: string,
    items: unknown[],
  ): ApiResult {
    const perPage = Math.min(
      100,
      Math.max(1, Number(call.query.get('per_page') ?? 30)),
    );
    const page = Math.max(1, Number(call.query.get('page') ?? 1));
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const headers: Record<string, string> = {};
    const resolved = routePath.replace(
      /:([a-z_]+)/gi,
      (_, key) => call.params[key],
    );
    const link = (p: number, rel: string) =>
      `<${this.apiBaseUrl}${resolved}?per_page=${perPage}&page=${p}>; rel="${rel}"`;
    const links: string[] = [];
    if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
    if (page > 1) links.push(link(1, 'first'), link(page - 1, 'prev'));
    if (links.length) headers.link = links.join(', ');
    return {
      status: 200,
      headers,
      body: items.slice((page - 1) * perPage, page * perPage),
    };
  }

  private track(promise: Promise<unknown>) {
    this.pendingDeliveries.add(promise);
    promise.finally(() => this.pendingDeliveries.delete(promise));
  }

  private ping(hook: GithubTestHook) {
    const [owner, repoName] = hook.target.split('/');
    const repo =
      hook.type === 'Repository' ? this.repo(owner, repoName) : undefined;
    const org = this.account(owner);
    return this.deliver(hook, 'ping', {
      zen: 'Keep it logically awesome.',
      hook_id: hook.id,
      hook: this.hookJson(hook),
      ...(repo ? { repository: this.repoJson(repo) } : {}),
      ...(org?.type === 'Organization'
        ? { organization: this.orgJson(org) }
        : {}),
      sender: this.accountJson(org ?? this.accounts.values().next().value!),
    });
  }

  private async deliver(
    hook: GithubTestHook,
    event: string,
    payload: Record<string, unknown>,
  ): Promise<GithubTestDelivery> {
    const guid = randomUUID();
    const json = JSON.stringify(payload);
    const body =
      hook.config.content_type === 'json'
        ? json
        : `payload=${encodeURIComponent(json)}`;
    const headers: Record<string, string> = {
      'content-type':
        hook.config.content_type === 'json'
          ? 'application/json'
          : 'application/x-www-form-urlencoded',
      'user-agent': 'GitHub-Hookshot/slipway-test',
      'x-github-event': event,
      'x-github-delivery': guid,
      'x-github-hook-id': String(hook.id),
      'x-github-hook-installation-target-type':
        hook.type === 'Repository' ? 'repository' : 'organization',
      'x-github-hook-installation-target-id': String(
        hook.type === 'Repository'
          ? this.repo(hook.target.split('/')[0], hook.target.split('/')[1])?.id
          : this.account(hook.target)?.id,
      ),
    };
    if (hook.config.secret) {
      headers['x-hub-signature'] = `sha1=${createHmac(
        'sha1',
        hook.config.secret,
      )
        .update(body)
        .digest('hex')}`;
      headers['x-hub-signature-256'] = `sha256=${createHmac(
        'sha256',
        hook.config.secret,
      )
        .update(body)
        .digest('hex')}`;
    }
    const delivery: GithubTestDelivery = {
      guid,
      hookId: hook.id,
      event,
      deliveredAt: new Date().toISOString(),
      statusCode: null,
      payload,
    };
    try {
      const response = await fetch(hook.config.url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(10_000),
      });
      delivery.statusCode = response.status;
      const text = await response.text();
      hook.lastResponse = {
        code: response.status,
        status: response.ok ? 'active' : 'misconfigured',
        message: response.ok
          ? 'OK'
          : `Invalid HTTP Response: ${response.status} ${text.slice(0, 200)}`,
      };
    } catch (error) {
      delivery.error = String((error as Error).message);
      hook.lastResponse = {
        code: 0,
        status: 'misconfigured',
        message: `failed to connect to host: ${delivery.error}`,
      };
    }
    this.deliveries.push(delivery);
    return delivery;
  }

  private handleGit(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    owner: string,
    name: string,
    action: string,
    record: (status: number, bytes?: number) => void,
  ) {
    const repo = this.repo(owner, name);
    const auth = this.authenticate(req);
    const token = auth === 'bad' ? undefined : auth;
    const service =
      action === 'info/refs' ? url.searchParams.get('service') : action;
    const push = service === 'git-receive-pack';
    const challenge = () => {
      record(401);
      res.writeHead(401, {
        'www-authenticate': 'Basic realm="GitHub"',
        'content-type': 'text/plain',
      });
      res.end(
        auth === 'bad'
          ? 'Invalid username or token.'
          : 'Authentication required',
      );
    };
    if (auth === 'bad') {
      challenge();
      return;
    }
    if (!repo || !this.canRead(token, repo)) {
      if (!token) {
        challenge();
        return;
      }
      record(404);
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('Repository not found.');
      return;
    }
    if (push) {
      if (!token) {
        challenge();
        return;
      }
      const scopesOk =
        token.kind === 'app' ||
        (token.scopes ?? []).includes('repo') ||
        (!repo.private && (token.scopes ?? []).includes('public_repo'));
      if (!this.canWrite(token, repo.owner) || !scopesOk) {
        record(403);
        res.writeHead(403, { 'content-type': 'text/plain' });
        res.end(`Permission to ${repo.owner}/${repo.name}.git denied.`);
        return;
      }
    }
    serveGit({
      req,
      res,
      projectRoot: this.reposDir,
      pathInfo: `/${repo.owner.toLowerCase()}/${repo.name.toLowerCase()}.git/${action}`,
      query: url.search.slice(1),
      remoteUser: token
        ? token.login ?? `app-${token.installationOwner}`
        : undefined,
      onFinished: (_code, bytes) => {
        record(res.statusCode, bytes);
        if (push && action === 'git-receive-pack') {
          repo.pushedAt = new Date().toISOString();
        }
      },
    });
  }
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

function notFound() {
  return { message: 'Not Found', documentation_url: DOCS, status: '404' };
}

function validationFailed(
  resource: string,
  field: string | undefined,
  code: string,
  message: string,
): ApiResult {
  return {
    status: 422,
    body: {
      message: 'Validation Failed',
      errors: [{ resource, code, ...(field ? { field } : {}), message }],
      documentation_url: DOCS,
      status: '422',
    },
  };
}
