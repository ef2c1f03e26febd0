/*
 * The real Slipway backend for the component tests: the backend plugin
 * started with `startTestBackend` on 127.0.0.1 (an ephemeral port), and the
 * real `SlipwayHttpClient` talking to it over HTTP as a signed-in user. A
 * change of the API (a route, a field, a status) breaks these tests just as
 * it breaks the browser.
 *
 * jsdom's test environment still runs on Node: `fetch`, `ReadableStream`
 * and `TextDecoder` are Node's, so the server-sent event streams are the
 * real ones too. Data is seeded through the real API (POST /events as a
 * service).
 */
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
// The point of this harness: the frontend's tests run the backend itself.
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import slipwayPlugin from '@slipway/plugin-slipway-backend';
import { OasisEvent, SlipwayHttpClient } from '@slipway/plugin-slipway-common';
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import {
  catalogAndPermissions,
  componentEntity,
  inMemoryDatabases,
  permissionConfig,
  waitForEntities,
} from '@slipway/test-utils';
import type { Socket } from 'node:net';
import * as timers from 'node:timers';
import type { AddressInfo } from 'node:net';

// jsdom's globals lack setImmediate, which the catalog backend's processing
// loop uses; the backend runs on Node's timers.
const g = globalThis as any;
g.setImmediate ??= timers.setImmediate;
g.clearImmediate ??= timers.clearImmediate;

/** The user the client signs in as (mock credentials' default user). */
export const USER = 'user:default/mock';

/** Entities the catalog serves when the backend runs with one. */
export const CATALOG_ENTITIES = [
  componentEntity('shop', USER, { 'github.com/project-slug': 'acme/shop' }),
  componentEntity('hello-busybox', USER, {
    'slipway.dev/app': 'hello-busybox',
  }),
];

/** A request the client sent: method, path with query, and headers. */
export interface SentRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
}

/** What a test may publish (the fields of POST /events). */
export type EventInput = Partial<
  Pick<
    OasisEvent,
    | 'vtid'
    | 'layer'
    | 'module'
    | 'source'
    | 'kind'
    | 'status'
    | 'title'
    | 'ref'
    | 'link'
    | 'repo'
    | 'entityRef'
    | 'meta'
  >
>;

/** A real client of the backend with the record of what it sent. */
export interface RecordingClient {
  api: SlipwayHttpClient;
  requests: SentRequest[];
  /** The next `count` requests whose path starts with `prefix` fail as a refused connection would. */
  refuse(prefix: string, count: number): void;
}

export interface RealBackend {
  baseUrl: string;
  /** A new real client, signed in as {@link USER}. */
  client(): RecordingClient;
  /** Publishes an event as a service (POST /events); returns the stored event. */
  publish(event?: EventInput): Promise<OasisEvent>;
  /** Closes every open connection to the backend, as a network break does. */
  dropConnections(): void;
  stop(): Promise<void>;
}

/**
 * Starts the Slipway backend, with the real catalog (serving
 * {@link CATALOG_ENTITIES}) and permission backends when `catalog` is set.
 */
export async function startRealBackend(
  options: { catalog?: boolean } = {},
): Promise<RealBackend> {
  const slipway = {
    allowedRepositories: ['file://'],
    cicd: { polling: { enabled: false } },
    deploy: { docker: { socketPath: '/nonexistent/docker.sock' } },
    events: {
      entityCacheSeconds: 1,
      stream: { pollIntervalMs: 50, heartbeatSeconds: 15 },
    },
    access: { cacheTtlSeconds: 1 },
  };
  const backend = await startTestBackend({
    features: [
      slipwayPlugin,
      inMemoryDatabases(),
      ...(options.catalog
        ? [
            // The real URL reader loads @azure/identity, whose browser
            // build (picked under jsdom) refuses to start; the catalog
            // here reads no URLs.
            mockServices.urlReader.mock().factory,
            ...catalogAndPermissions({
              entities: CATALOG_ENTITIES,
              policy: {
                handle: async () => ({ result: AuthorizeResult.ALLOW }),
              },
            }),
          ]
        : []),
      mockServices.rootConfig.factory({
        data: {
          ...(options.catalog ? permissionConfig : {}),
          backend: { listen: { host: '127.0.0.1' } },
          slipway,
        },
      }),
    ],
  });
  const sockets = new Set<Socket>();
  backend.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const baseUrl = `http://127.0.0.1:${
    (backend.server.address() as AddressInfo).port
  }`;
  if (options.catalog) {
    await waitForEntities(
      baseUrl,
      CATALOG_ENTITIES.map(e => `component:default/${e.metadata.name}`),
    );
  }

  return {
    baseUrl,
    client() {
      const requests: SentRequest[] = [];
      const refusals: Array<{ prefix: string; count: number }> = [];
      const api = new SlipwayHttpClient({
        discoveryApi: { getBaseUrl: async () => `${baseUrl}/api/slipway` },
        fetchApi: {
          fetch: async (input, init) => {
            const url = new URL(String(input));
            const path = `${url.pathname.replace(/^\/api\/slipway/, '')}${
              url.search
            }`;
            requests.push({
              method: init?.method ?? 'GET',
              path,
              headers: { ...(init?.headers as Record<string, string>) },
            });
            const refusal = refusals.find(
              r => r.count > 0 && path.startsWith(r.prefix),
            );
            if (refusal) {
              refusal.count -= 1;
              throw new TypeError('fetch failed (connection refused)');
            }
            return fetch(input, {
              ...init,
              headers: {
                ...(init?.headers as Record<string, string>),
                authorization: mockCredentials.user.header(USER),
              },
            });
          },
        },
      });
      return {
        api,
        requests,
        refuse: (prefix, count) => refusals.push({ prefix, count }),
      };
    },
    async publish(event = {}) {
      const response = await fetch(`${baseUrl}/api/slipway/events`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: mockCredentials.service.header(),
        },
        body: JSON.stringify({
          module: 'WORKFLOW',
          source: 'acme.ci',
          kind: 'workflow_run',
          status: 'success',
          title: 'CICDL-WORKFLOW-COMPLETED',
          ...event,
        }),
      });
      const body = await response.json();
      if (response.status !== 201) {
        throw new Error(
          `POST /events answered ${response.status}: ${JSON.stringify(body)}`,
        );
      }
      return body as OasisEvent;
    },
    dropConnections() {
      for (const socket of sockets) socket.destroy();
    },
    async stop() {
      for (const socket of sockets) socket.destroy();
      await backend.stop();
    },
  };
}

/** The path of every event stream the client opened, with its Last-Event-ID. */
export function streamRequests(requests: SentRequest[]) {
  return requests
    .filter(r => r.path.startsWith('/events/stream'))
    .map(r => ({ path: r.path, lastEventId: r.headers['Last-Event-ID'] }));
}
