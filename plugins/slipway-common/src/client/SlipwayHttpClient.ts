import { ResponseError } from '@backstage/errors';
import {
  FINISHED_DEPLOYMENT_STATUSES,
  type Deployment,
  type DeploymentStatus,
  type OasisEvent,
  type Page,
  type SlipwayApp,
  type SlipwayHealth,
} from '../types';
import { compareEventIds, fatalError, followWithReconnect } from './reconnect';
import { readServerSentEvents } from './sse';
import type {
  CicdStatus,
  DeploymentLogLine,
  OasisEventFilter,
  PageRequest,
  ReadDeploymentLogsOptions,
  SlipwayApi,
  StreamOptions,
} from './types';

/**
 * Where the client finds the backend and how it sends requests. In a
 * Backstage frontend these are `discoveryApi` and `fetchApi`, so the signed-in
 * user's credentials go with every request, streams included.
 *
 * @public
 */
export interface SlipwayHttpClientOptions {
  discoveryApi: { getBaseUrl(pluginId: string): Promise<string> };
  fetchApi: { fetch: typeof fetch };
}

// 1000 pages of the server's default 1000 lines.
const MAX_LOG_PAGES = 1000;

function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/**
 * Turns whatever a log endpoint sent for one message (a JSON line object, an
 * array of them, `{ items }`, or plain text) into log lines.
 */
function toLogLines(value: unknown): DeploymentLogLine[] {
  if (Array.isArray(value)) return value.flatMap(toLogLines);
  if (typeof value === 'string') {
    return value === '' ? [] : value.split('\n').map(line => ({ line }));
  }
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (Array.isArray(record.items)) return toLogLines(record.items);
    const text = record.line ?? record.message ?? record.text;
    if (typeof text === 'string') {
      const id = record.id;
      return [
        {
          id:
            typeof id === 'string' || typeof id === 'number'
              ? String(id)
              : undefined,
          line: text.replace(/\n$/, ''),
          step: typeof record.step === 'string' ? record.step : undefined,
          stream: typeof record.stream === 'string' ? record.stream : undefined,
          createdAt:
            typeof record.createdAt === 'string' ? record.createdAt : undefined,
        },
      ];
    }
  }
  return [];
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * {@link SlipwayApi} over HTTP with `fetch`; streams are read from the
 * response body, not with `EventSource`, because `EventSource` cannot send
 * the `Authorization` header.
 *
 * @public
 */
export class SlipwayHttpClient implements SlipwayApi {
  constructor(private readonly options: SlipwayHttpClientOptions) {}

  private async request(
    path: string,
    init?: RequestInit & { allowStatus?: number[] },
  ): Promise<Response> {
    const baseUrl = await this.options.discoveryApi.getBaseUrl('slipway');
    const { allowStatus, ...rest } = init ?? {};
    const response = await this.options.fetchApi.fetch(
      `${baseUrl}${path}`,
      rest,
    );
    if (!response.ok && !allowStatus?.includes(response.status)) {
      throw await ResponseError.fromResponse(response);
    }
    return response;
  }

  private async json<T>(
    path: string,
    init?: RequestInit & { allowStatus?: number[] },
  ): Promise<T> {
    const response = await this.request(path, init);
    return (await response.json()) as T;
  }

  private post<T>(path: string, body: unknown): Promise<T> {
    return this.json<T>(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body ?? {}),
    });
  }

  getHealth(): Promise<SlipwayHealth> {
    // 503 still carries the report (database down); show it rather than fail.
    return this.json('/health', { allowStatus: [503] });
  }

  listEvents(
    filter: OasisEventFilter = {},
    page: PageRequest = {},
  ): Promise<Page<OasisEvent>> {
    return this.json(`/events${query({ ...filter, ...page })}`);
  }

  async streamEvents(
    filter: OasisEventFilter,
    options: StreamOptions & {
      lastEventId?: string;
      onEvent: (event: OasisEvent) => void;
    },
  ): Promise<void> {
    const headers: Record<string, string> = { Accept: 'text/event-stream' };
    if (options.lastEventId) headers['Last-Event-ID'] = options.lastEventId;
    const response = await this.request(
      `/events/stream${query({ ...filter })}`,
      {
        headers,
        signal: options.signal,
        cache: 'no-store',
      },
    );
    if (!response.body) {
      throw new Error('The event stream answered without a body');
    }
    options.onOpen?.();
    await readServerSentEvents(
      response.body,
      message => {
        if (message.event !== 'oasis') return;
        const event = JSON.parse(message.data) as OasisEvent;
        options.onEvent(event);
      },
      options.signal,
    );
  }

  getCicdStatus(entityRef: string): Promise<CicdStatus> {
    return this.json(`/cicd/status${query({ entityRef })}`);
  }

  getApp(name: string): Promise<SlipwayApp> {
    return this.json(`/apps/${encodeURIComponent(name)}`);
  }

  listDeployments(
    app: string,
    page: PageRequest = {},
  ): Promise<Page<Deployment>> {
    return this.json(
      `/apps/${encodeURIComponent(app)}/deployments${query({ ...page })}`,
    );
  }

  getDeployment(id: string): Promise<Deployment> {
    return this.json(`/deployments/${encodeURIComponent(id)}`);
  }

  deploy(app: string, options: { ref?: string } = {}): Promise<Deployment> {
    return this.post(`/apps/${encodeURIComponent(app)}/deployments`, options);
  }

  rollback(
    app: string,
    options: { toDeploymentId?: string; restoreSecrets?: boolean } = {},
  ): Promise<Deployment> {
    return this.post(`/apps/${encodeURIComponent(app)}/rollback`, options);
  }

  cancelDeployment(id: string): Promise<Deployment> {
    return this.post(`/deployments/${encodeURIComponent(id)}/cancel`, {});
  }

  async readDeploymentLogs(
    id: string,
    options: ReadDeploymentLogsOptions,
  ): Promise<void> {
    if (options.follow) {
      await this.followDeploymentLogs(id, options);
      return;
    }
    // Page through the stored log; the bound only guards against a server
    // that hands out cursors forever.
    let cursor: string | undefined = undefined;
    for (let page = 0; page < MAX_LOG_PAGES; page++) {
      const response = await this.request(
        `/deployments/${encodeURIComponent(id)}/logs${query({ cursor })}`,
        {
          headers: { Accept: 'application/json' },
          signal: options.signal,
          cache: 'no-store',
        },
      );
      if (page === 0) options.onOpen?.();
      const type = response.headers.get('content-type') ?? '';
      const text = await response.text();
      const body = type.includes('json')
        ? parseJson(text)
        : text.replace(/\n$/, '');
      const lines = toLogLines(body);
      if (lines.length > 0) options.onLines(lines);
      const next =
        body && typeof body === 'object' && !Array.isArray(body)
          ? (body as { nextCursor?: unknown }).nextCursor
          : undefined;
      if (typeof next !== 'string' || !next || next === cursor) return;
      cursor = next;
    }
  }

  /**
   * Follows `?follow=true` to the deployment's final status, reconnecting
   * with `Last-Event-ID` after every break: lines at or before the last id
   * seen are dropped, so a server that replays one is not shown it twice.
   */
  private async followDeploymentLogs(
    id: string,
    options: ReadDeploymentLogsOptions,
  ): Promise<void> {
    const { signal } = options;
    let lastEventId = options.lastEventId;
    await followWithReconnect({
      what: `the log stream of deployment ${id}`,
      signal,
      reconnect: options.reconnect,
      onReconnecting: options.onReconnecting,
      lastEventId: () => lastEventId,
      connect: async attempt => {
        const headers: Record<string, string> = {
          Accept: 'text/event-stream',
        };
        if (lastEventId) headers['Last-Event-ID'] = lastEventId;
        const response = await this.request(
          `/deployments/${encodeURIComponent(id)}/logs${query({
            follow: 'true',
          })}`,
          { headers, signal, cache: 'no-store' },
        );
        const type = response.headers.get('content-type') ?? '';
        if (!type.includes('text/event-stream') || !response.body) {
          // A server that answers a follow with the whole log has nothing
          // more to send later.
          const text = await response.text();
          attempt.opened();
          options.onOpen?.();
          const lines = toLogLines(
            type.includes('json') ? parseJson(text) : text.replace(/\n$/, ''),
          );
          if (lines.length > 0) options.onLines(lines);
          attempt.finished();
          return;
        }
        attempt.opened();
        options.onOpen?.();
        await readServerSentEvents(
          response.body,
          message => {
            const value = parseJson(message.data);
            const status =
              value && typeof value === 'object'
                ? (value as { status?: unknown }).status
                : undefined;
            const lines = toLogLines(value);
            if (message.id && lines.length === 1 && !lines[0].id) {
              lines[0].id = message.id;
            }
            const fresh = lines.filter(line => {
              if (line.id === undefined) return true;
              if (
                lastEventId !== undefined &&
                compareEventIds(line.id, lastEventId) <= 0
              ) {
                return false;
              }
              lastEventId = line.id;
              return true;
            });
            try {
              if (fresh.length > 0) {
                attempt.progressed();
                options.onLines(fresh);
              }
              if (typeof status === 'string') {
                options.onStatus?.(status as DeploymentStatus);
              }
            } catch (e) {
              // The consumer's own failure is no reason to reconnect.
              throw fatalError(e);
            }
            if (
              message.event === 'end' ||
              (typeof status === 'string' &&
                FINISHED_DEPLOYMENT_STATUSES.includes(
                  status as DeploymentStatus,
                ))
            ) {
              attempt.finished();
            }
          },
          signal,
        );
      },
    });
  }
}
