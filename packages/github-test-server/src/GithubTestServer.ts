import fs from 'node:fs';
import http, { IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ApiRouter, Handler, sendApiResult } from './api';
import { GithubJson } from './json';
import { RateLimit } from './rateLimit';
import { contentRoutes } from './routes/contents';
import { RouteContext } from './routes/context';
import { matchGitPath, serveGitRequest } from './routes/git';
import { hookRoutes } from './routes/hooks';
import { rateLimitRoutes } from './routes/rateLimit';
import { repoRoutes } from './routes/repos';
import { userRoutes } from './routes/users';
import { GithubStore, NewRepoFields } from './store';
import {
  ApiResult,
  GithubAccount,
  GithubTestDelivery,
  GithubTestHook,
  GithubTestRepo,
  GithubTestRequest,
  GithubTestToken,
} from './types';
import { Webhooks } from './webhooks';

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
  readonly accounts: Map<string, GithubAccount>;
  readonly tokens: Map<string, GithubTestToken>;
  readonly repos: Map<string, GithubTestRepo>;
  readonly hooks: GithubTestHook[];
  readonly deliveries: GithubTestDelivery[];
  readonly requests: GithubTestRequest[];
  private readonly store: GithubStore;
  private readonly rateLimit: RateLimit;
  private readonly router: ApiRouter;
  private readonly json: GithubJson;
  private readonly webhooks: Webhooks;

  private constructor(
    private readonly server: http.Server,
    readonly reposDir: string,
    options: GithubTestServerOptions,
  ) {
    this.store = new GithubStore(reposDir);
    this.accounts = this.store.accounts;
    this.tokens = this.store.tokens;
    this.repos = this.store.repos;
    this.hooks = this.store.hooks;
    this.deliveries = this.store.deliveries;
    this.requests = this.store.requests;
    this.rateLimit = new RateLimit(options.rateLimit ?? 5000);
    this.router = new ApiRouter(this.store, this.rateLimit);
    this.json = new GithubJson(this, this.store);
    this.webhooks = new Webhooks(this.store, this.json);
    const context: RouteContext = {
      router: this.router,
      store: this.store,
      json: this.json,
      site: this,
      rateLimit: this.rateLimit,
      webhooks: this.webhooks,
      pingOnHookCreate: options.pingOnHookCreate !== false,
    };
    // Routes match in this order, before any added with route().
    userRoutes(context);
    rateLimitRoutes(context);
    repoRoutes(context);
    contentRoutes(context);
    hookRoutes(context);
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
    return this.store.addAccount(login, 'User', []);
  }

  /**
   * An organization; `owners` (default: every member) may administer its
   * webhooks, the other members may not.
   */
  addOrg(
    login: string,
    members: string[] = [],
    owners: string[] = members,
  ): GithubAccount {
    return this.store.addAccount(login, 'Organization', members, owners);
  }

  addToken(token: GithubTestToken): void {
    this.tokens.set(token.token, token);
  }

  /** Answers the next API request(s) with this result instead (errors). */
  injectResponse(result: ApiResult, times = 1): void {
    this.router.inject(result, times);
  }

  /** Sets the primary rate limit state. */
  setRateLimit(remaining: number, resetEpochSeconds?: number): void {
    this.rateLimit.set(remaining, resetEpochSeconds);
  }

  repo(owner: string, name: string): GithubTestRepo | undefined {
    return this.store.repo(owner, name);
  }

  /** The bare git repository behind a stored repository. */
  repoPath(owner: string, name: string): string {
    return this.store.repoPath(owner, name);
  }

  hooksOf(target: string): GithubTestHook[] {
    return this.store.hooksOf(target);
  }

  /** Creates a repository directly (test setup). */
  createRepo(
    owner: string,
    name: string,
    fields: NewRepoFields = {},
  ): GithubTestRepo {
    return this.store.createRepo(owner, name, fields);
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
    this.router.route(method, pathPattern, handler, scopes);
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
    return this.webhooks.deliverEvent(owner, repoName, event, payload);
  }

  /** Waits until every delivery in flight was answered. */
  async settle(): Promise<void> {
    await this.webhooks.settle();
  }

  async close(): Promise<void> {
    await this.settle();
    await new Promise<void>(resolve => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    fs.rmSync(this.reposDir, { recursive: true, force: true });
  }

  /** An account as GitHub's REST API shows it. */
  accountJson(account: GithubAccount) {
    return this.json.account(account);
  }

  /** An organization as `GET /orgs/:org` shows it. */
  orgJson(account: GithubAccount) {
    return this.json.org(account);
  }

  /** A repository as GitHub's REST API shows it. */
  repoJson(repo: GithubTestRepo) {
    return this.json.repo(repo);
  }

  /** A webhook as GitHub's REST API shows it. */
  hookJson(hook: GithubTestHook) {
    return this.json.hook(hook);
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
      const result = await this.router.handle(req, url);
      record(result.status);
      sendApiResult(res, result);
      return;
    }
    const git = matchGitPath(url.pathname);
    if (git) {
      serveGitRequest(this.store, req, res, url, git, record);
      return;
    }
    record(404);
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('Not Found');
  }
}
