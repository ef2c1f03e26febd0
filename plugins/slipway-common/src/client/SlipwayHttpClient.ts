import { ResponseError } from '@backstage/errors';
import {
  DefaultApiClient,
  type LogPage,
  type TypedResponse,
} from '../generated';
import type {
  Deployment,
  OasisEvent,
  Page,
  SlipwayApp,
  SlipwayHealth,
} from '../types';
import {
  parseDeployment,
  parseLogLine,
  parseOasisEvent,
  toLogLine,
} from './messages';
import { compareEventIds, fatalError, followWithReconnect } from './reconnect';
import { readServerSentEvents } from './sse';
import type {
  CicdStatus,
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

/** The parameters that filter: undefined and empty values do not. */
function filterParams<T extends object>(params: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(params).filter(([, v]) => v !== undefined && v !== ''),
  ) as Partial<T>;
}

/** Query string of a stream request (the generated client has no streams). */
function query(params: Record<string, string | number | undefined>): string {
  const text = new URLSearchParams(
    filterParams(params) as Record<string, string>,
  ).toString();
  return text ? `?${text}` : '';
}

/** The body of a success answer; a ResponseError otherwise. */
async function bodyOf<T>(
  response: TypedResponse<T>,
  allowStatus: number[] = [],
): Promise<T> {
  if (!response.ok && !allowStatus.includes(response.status)) {
    throw await ResponseError.fromResponse(response);
  }
  return response.json();
}

/**
 * {@link SlipwayApi} over HTTP with `fetch`; streams are read from the
 * response body, not with `EventSource`, because `EventSource` cannot send
 * the `Authorization` header.
 *
 * @public
 */
export class SlipwayHttpClient implements SlipwayApi {
  private readonly api: DefaultApiClient;

  constructor(private readonly options: SlipwayHttpClientOptions) {
    this.api = new DefaultApiClient(options);
  }

  /** A request of a stream, which the generated client does not cover. */
  private async stream(path: string, init: RequestInit): Promise<Response> {
    const baseUrl = await this.options.discoveryApi.getBaseUrl('slipway');
    const response = await this.options.fetchApi.fetch(
      `${baseUrl}${path}`,
      init,
    );
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return response;
  }

  async getHealth(): Promise<SlipwayHealth> {
    // 503 still carries the report (database down); show it rather than
    // fail. The spec's Health also fits the anonymous `{ status }`; this
    // client's callers are signed in and get the details.
    return (await bodyOf(await this.api.getHealth(), [503])) as SlipwayHealth;
  }

  async listEvents(
    filter: OasisEventFilter = {},
    page: PageRequest = {},
  ): Promise<Page<OasisEvent>> {
    return bodyOf(
      await this.api.listEvents({
        query: filterParams({ ...filter, ...page }),
      }),
    );
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
    const response = await this.stream(
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
        if (message.event !== 'oasis') {
          throw new Error(
            `The event stream sent an \`event: ${message.event}\` message; the API sends only \`event: oasis\` (is a proxy rewriting the stream?)`,
          );
        }
        options.onEvent(
          parseOasisEvent(message.data, 'A message of the event stream'),
        );
      },
      options.signal,
    );
  }

  async getCicdStatus(entityRef: string): Promise<CicdStatus> {
    return bodyOf(await this.api.getCicdStatus({ query: { entityRef } }));
  }

  async getApp(name: string): Promise<SlipwayApp> {
    return bodyOf(await this.api.getApp({ path: { name } }));
  }

  async listDeployments(
    app: string,
    page: PageRequest = {},
  ): Promise<Page<Deployment>> {
    return bodyOf(
      await this.api.listDeployments({
        path: { name: app },
        query: filterParams(page),
      }),
    );
  }

  async getDeployment(id: string): Promise<Deployment> {
    return bodyOf(await this.api.getDeployment({ path: { id } }));
  }

  async deploy(
    app: string,
    options: { ref?: string } = {},
  ): Promise<Deployment> {
    return bodyOf(
      await this.api.deploy({ path: { name: app }, body: options }),
    );
  }

  async rollback(
    app: string,
    options: { toDeploymentId?: string; restoreSecrets?: boolean } = {},
  ): Promise<Deployment> {
    return bodyOf(
      await this.api.rollback({ path: { name: app }, body: options }),
    );
  }

  async cancelDeployment(id: string): Promise<Deployment> {
    return bodyOf(await this.api.cancelDeployment({ path: { id } }));
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
      const body: LogPage = await bodyOf(
        await this.api.getDeploymentLogs(
          { path: { id }, query: { cursor } },
          { signal: options.signal },
        ),
      );
      if (page === 0) options.onOpen?.();
      if (!body || !Array.isArray(body.items)) {
        throw new Error(
          `The log of deployment ${id} is not a page of lines { items, nextCursor? }`,
        );
      }
      const lines = body.items.map((item, i) =>
        toLogLine(item, `Line ${i + 1} of a page of deployment ${id}'s log`),
      );
      if (lines.length > 0) options.onLines(lines);
      const next: string | undefined = body.nextCursor;
      if (typeof next !== 'string' || !next || next === cursor) return;
      cursor = next;
    }
  }

  /**
   * Follows `?follow=true` to the deployment's final status, reconnecting
   * with `Last-Event-ID` after every break: lines at or before the last id
   * seen are dropped, so a server that replays one is not shown it twice.
   * The stream carries `event: log` with a LogLine and, last, `event: end`
   * with the Deployment; any other message is an error, not a reconnect.
   */
  private async followDeploymentLogs(
    id: string,
    options: ReadDeploymentLogsOptions,
  ): Promise<void> {
    const { signal } = options;
    const what = `the log stream of deployment ${id}`;
    let lastEventId = options.lastEventId;
    await followWithReconnect({
      what,
      signal,
      reconnect: options.reconnect,
      onReconnecting: options.onReconnecting,
      lastEventId: () => lastEventId,
      connect: async attempt => {
        const headers: Record<string, string> = {
          Accept: 'text/event-stream',
        };
        if (lastEventId) headers['Last-Event-ID'] = lastEventId;
        const response = await this.stream(
          `/deployments/${encodeURIComponent(id)}/logs${query({
            follow: 'true',
          })}`,
          { headers, signal, cache: 'no-store' },
        );
        const type = response.headers.get('content-type') ?? '';
        if (!type.includes('text/event-stream') || !response.body) {
          throw fatalError(
            new Error(
              `${what} answered ${
                type || 'without a content type'
              } instead of text/event-stream`,
            ),
          );
        }
        attempt.opened();
        options.onOpen?.();
        await readServerSentEvents(
          response.body,
          message => {
            // A wrong message, or the consumer's own failure, is no reason
            // to reconnect.
            try {
              if (message.event === 'log') {
                const line = parseLogLine(message.data, `A line of ${what}`);
                if (
                  lastEventId !== undefined &&
                  compareEventIds(line.id, lastEventId) <= 0
                ) {
                  return;
                }
                lastEventId = line.id;
                attempt.progressed();
                options.onLines([line]);
              } else if (message.event === 'end') {
                const deployment = parseDeployment(
                  message.data,
                  `The end message of ${what}`,
                );
                attempt.finished();
                options.onStatus?.(deployment.status);
              } else {
                throw new Error(
                  `${what} sent an \`event: ${message.event}\` message; the API sends only \`event: log\` and \`event: end\``,
                );
              }
            } catch (e) {
              throw fatalError(e);
            }
          },
          signal,
        );
      },
    });
  }
}
