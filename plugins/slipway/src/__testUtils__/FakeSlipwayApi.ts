import type {
  CicdStatus,
  Deployment,
  DeploymentLogLine,
  DeploymentStatus,
  OasisEvent,
  OasisEventFilter,
  Page,
  PageRequest,
  ReadDeploymentLogsOptions,
  ReconnectInfo,
  SlipwayApi,
  SlipwayApp,
  SlipwayHealth,
  StreamOptions,
} from '@slipway/plugin-slipway-common';

/** An OASIS event with sensible defaults, for tests and the benchmark. */
export function makeEvent(
  id: number | string,
  overrides: Partial<OasisEvent> = {},
): OasisEvent {
  return {
    id: String(id),
    createdAt: new Date(Date.now() - 60_000).toISOString(),
    vtid: 'UNSET',
    layer: 'UNSET',
    module: 'WORKFLOW',
    source: 'github.actions',
    kind: 'workflow_run',
    status: 'success',
    title: `CICDL-WORKFLOW-COMPLETED ${id}`,
    ref: 'main',
    link: null,
    repo: 'acme/shop',
    entityRef: 'component:default/shop',
    meta: {},
    ...overrides,
  };
}

interface OpenStream {
  filter: OasisEventFilter;
  lastEventId?: string;
  onEvent(event: OasisEvent): void;
  resolve(): void;
  reject(error: Error): void;
}

interface OpenLog {
  id: string;
  follow?: boolean;
  onLines(lines: DeploymentLogLine[]): void;
  onStatus?(status: DeploymentStatus): void;
  onOpen?(): void;
  onReconnecting?(info: ReconnectInfo): void;
  resolve(): void;
  reject(error: Error): void;
}

/**
 * In-memory {@link SlipwayApi} whose streams the test drives: `emit` pushes a
 * live event to every open stream, `drop` fails them (a lost connection), and
 * every call is recorded.
 */
export class FakeSlipwayApi implements SlipwayApi {
  events: OasisEvent[] = [];
  pageSize = 50;
  cicd: CicdStatus | Error = {
    repo: 'acme/shop',
    defaultBranch: 'main',
    branches: [],
    deployment: null,
    webhook: { connected: true },
  };
  app: SlipwayApp | Error = {
    name: 'shop',
    repoUrl: 'file:///repo',
    createdAt: '2026-11-24T09:00:00Z',
    updatedAt: '2026-11-24T09:00:00Z',
  };
  deployments: Deployment[] = [];
  streams: OpenStream[] = [];
  streamCalls: Array<{ filter: OasisEventFilter; lastEventId?: string }> = [];
  logs: OpenLog[] = [];
  calls: string[] = [];
  listEventsError?: Error;
  /** The next this-many stream requests fail before the server accepts them. */
  refuseStreams = 0;

  async getHealth(): Promise<SlipwayHealth> {
    return {
      status: 'ok',
      database: { status: 'ok', client: 'better-sqlite3' },
      docker: { status: 'ok', endpoint: '/var/run/docker.sock' },
    };
  }

  async listEvents(
    filter: OasisEventFilter = {},
    page: PageRequest = {},
  ): Promise<Page<OasisEvent>> {
    this.calls.push(`listEvents ${JSON.stringify({ ...filter, ...page })}`);
    if (this.listEventsError) throw this.listEventsError;
    const matching = this.events
      .filter(e => this.matches(e, filter))
      .sort((a, b) => Number(b.id) - Number(a.id));
    const start = page.cursor ? Number(page.cursor) : 0;
    const limit = page.limit ?? this.pageSize;
    const items = matching.slice(start, start + limit);
    return {
      items,
      nextCursor:
        start + limit < matching.length ? String(start + limit) : undefined,
    };
  }

  private matches(event: OasisEvent, filter: OasisEventFilter): boolean {
    return (Object.keys(filter) as Array<keyof OasisEventFilter>).every(
      key =>
        filter[key] === undefined ||
        (event as unknown as Record<string, unknown>)[key] === filter[key],
    );
  }

  streamEvents(
    filter: OasisEventFilter,
    options: StreamOptions & {
      lastEventId?: string;
      onEvent: (event: OasisEvent) => void;
    },
  ): Promise<void> {
    this.streamCalls.push({ filter, lastEventId: options.lastEventId });
    if (this.refuseStreams > 0) {
      this.refuseStreams -= 1;
      return Promise.reject(new Error('connection refused'));
    }
    return new Promise<void>((resolve, reject) => {
      const stream: OpenStream = {
        filter,
        lastEventId: options.lastEventId,
        onEvent: options.onEvent,
        resolve,
        reject,
      };
      this.streams.push(stream);
      options.signal?.addEventListener('abort', () => {
        this.streams = this.streams.filter(s => s !== stream);
        reject(new Error('aborted'));
      });
      // Replay what the server would after Last-Event-ID, then go live.
      queueMicrotask(() => {
        options.onOpen?.();
        if (options.lastEventId !== undefined) {
          this.events
            .filter(
              e =>
                Number(e.id) > Number(options.lastEventId) &&
                this.matches(e, filter),
            )
            .sort((a, b) => Number(a.id) - Number(b.id))
            .forEach(e => options.onEvent(e));
        }
      });
    });
  }

  /** Stores an event and sends it to every open stream whose filter matches. */
  emit(event: OasisEvent) {
    this.events.push(event);
    for (const stream of this.streams) {
      if (this.matches(event, stream.filter)) stream.onEvent(event);
    }
  }

  /** Sends an event to open streams again, as a replay overlapping history would. */
  resend(event: OasisEvent) {
    for (const stream of this.streams) stream.onEvent(event);
  }

  /** Fails every open stream, as a lost connection does. */
  drop(message = 'network error') {
    const open = this.streams;
    this.streams = [];
    open.forEach(s => s.reject(new Error(message)));
  }

  async getCicdStatus(entityRef: string): Promise<CicdStatus> {
    this.calls.push(`getCicdStatus ${entityRef}`);
    if (this.cicd instanceof Error) throw this.cicd;
    return this.cicd;
  }

  async getApp(name: string): Promise<SlipwayApp> {
    this.calls.push(`getApp ${name}`);
    if (this.app instanceof Error) throw this.app;
    return this.app;
  }

  async listDeployments(app: string): Promise<Page<Deployment>> {
    this.calls.push(`listDeployments ${app}`);
    return { items: [...this.deployments] };
  }

  async getDeployment(id: string): Promise<Deployment> {
    const found = this.deployments.find(d => d.id === id);
    if (!found) throw new Error(`no deployment ${id}`);
    return found;
  }

  private addDeployment(app: string, extra: Partial<Deployment> = {}) {
    const deployment: Deployment = {
      id: `d${this.deployments.length + 1}`,
      app,
      status: 'pending',
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
      ...extra,
    };
    this.deployments.unshift(deployment);
    return deployment;
  }

  async deploy(app: string, options: { ref?: string } = {}) {
    this.calls.push(`deploy ${app} ${JSON.stringify(options)}`);
    return this.addDeployment(app, { ref: options.ref });
  }

  async rollback(app: string, options: { toDeploymentId?: string } = {}) {
    this.calls.push(`rollback ${app} ${options.toDeploymentId}`);
    return this.addDeployment(app, { rollbackOf: options.toDeploymentId });
  }

  async cancelDeployment(id: string) {
    this.calls.push(`cancel ${id}`);
    const found = this.deployments.find(d => d.id === id)!;
    found.status = 'cancelled';
    return found;
  }

  readDeploymentLogs(
    id: string,
    options: ReadDeploymentLogsOptions,
  ): Promise<void> {
    this.calls.push(`logs ${id} follow=${Boolean(options.follow)}`);
    return new Promise<void>((resolve, reject) => {
      this.logs.push({
        id,
        follow: options.follow,
        onLines: options.onLines,
        onStatus: options.onStatus,
        onOpen: options.onOpen,
        onReconnecting: options.onReconnecting,
        resolve,
        reject,
      });
      options.signal?.addEventListener('abort', () => resolve());
    });
  }
}
