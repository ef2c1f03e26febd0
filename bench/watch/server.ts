/*
 * One backend instance of the watch benchmark, run as a child process
 * (BENCH_ROLE=server): the watch router alone, or the whole backend.
 */
import { createBackend } from '@backstage/backend-defaults';
import { MiddlewareFactory } from '@backstage/backend-defaults/rootHttpRouter';
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import express from 'express';
import knexFactory, { Knex } from 'knex';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { OasisEventStore } from '../../plugins/slipway-backend/src/oasis/OasisEventStore';
import { slipwayPlugin } from '../../plugins/slipway-backend/src/plugin';
import { createWatch } from '../../plugins/slipway-backend/src/watch';
import { createWatchStores } from '../../plugins/slipway-backend/src/watchStores';
import { EntityRefResolver } from '../../plugins/slipway-backend/src/oasis/EntityRefResolver';
import { SECRET } from './config';

const quietAuditor = {
  createEvent: async () => ({ success: async () => {}, fail: async () => {} }),
} as any;

const silent = {
  info() {},
  debug() {},
  warn() {},
  error(message: string, error?: Error) {
    process.stderr.write(`[server] ${message} ${error ?? ''}\n`);
  },
  child() {
    return silent;
  },
} as any;

/**
 * The whole Backstage backend (createBackend: production root HTTP router
 * with helmet, CORS, compression and request logging, auth policies, the
 * real database service) with the Slipway plugin and an in-memory catalog.
 */
async function serveBackend(): Promise<Served> {
  const port = Number(process.env.BENCH_PORT);
  const backend = createBackend();
  backend.add(
    mockServices.rootConfig.factory({
      data: {
        backend: {
          baseUrl: `http://127.0.0.1:${port}`,
          listen: { host: '127.0.0.1', port },
          database: {
            client: 'better-sqlite3',
            connection: process.env.BENCH_DB_URL,
          },
        },
        slipway: {
          github: { webhookSecrets: [SECRET] },
          cicd: { polling: { enabled: false } },
          deploy: { docker: { socketPath: '/nonexistent/docker.sock' } },
          events: { stream: { maxConnectionsPerUser: 100_000 } },
        },
      },
    }),
  );
  backend.add(catalogServiceMock.factory({ entities: [] }));
  backend.add(slipwayPlugin);
  await backend.start();
  return { port, stop: () => backend.stop() };
}

/** A running instance: its port and how to stop it. */
interface Served {
  port: number;
  stop(): Promise<void>;
}

/** Serves as a child process: reports the port, CPU time on request, stops. */
export async function serve() {
  const served =
    process.env.BENCH_STACK === 'backend'
      ? await serveBackend()
      : await serveWatchRouter();
  process.send!({ port: served.port });
  let cpu = process.cpuUsage();
  process.on('message', async (m: any) => {
    if (m === 'cpu-start') {
      cpu = process.cpuUsage();
    } else if (m === 'cpu-stop') {
      const used = process.cpuUsage(cpu);
      process.send!({ cpuMs: (used.user + used.system) / 1000 });
    }
    if (m === 'stop') {
      await served.stop();
      process.exit(0);
    }
  });
}

/** The watch router alone on a plain express app. */
async function serveWatchRouter(): Promise<Served> {
  const db = process.env.BENCH_DB!;
  let knex: Knex;
  if (db === 'pg') {
    knex = knexFactory({
      client: 'pg',
      connection: process.env.BENCH_DB_URL,
      pool: { min: 2, max: 10 },
    });
  } else {
    knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: process.env.BENCH_DB_URL! },
      useNullAsDefault: true,
    });
  }
  const store = await OasisEventStore.create({ knex, logger: silent });
  const entities = [
    {
      kind: 'Component',
      metadata: {
        name: 'octo-repo',
        namespace: 'default',
        annotations: { 'github.com/project-slug': 'octo-org/octo-repo' },
      },
    },
  ];
  // Subscribers read as a signed-in user (requests without a token get the
  // mock user), so every streamed event passes the real catalog-read check
  // (answered by this in-memory catalog, then cached per user and entity).
  const catalog = {
    getEntities: async () => ({ items: entities }),
    getEntitiesByRefs: async (request: { entityRefs: string[] }) => ({
      items: request.entityRefs.map(ref =>
        ref === 'component:default/octo-repo' ? entities[0] : undefined,
      ),
    }),
  };
  const watch = await createWatch({
    config: new ConfigReader({
      slipway: {
        github: { webhookSecrets: [SECRET] },
        cicd: { polling: { enabled: false } },
        // One mock user opens every subscriber of the benchmark.
        events: { stream: { maxConnectionsPerUser: 100_000 } },
      },
    }),
    logger: silent,
    stores: createWatchStores(store),
    catalog: catalog as any,
    httpAuth: mockServices.httpAuth(),
    permissions: mockServices.permissions(),
    // Deliveries and streams are not audited (only changes are).
    auditor: quietAuditor,
    entityRefs: new EntityRefResolver({
      catalog: catalog as any,
      auth: mockServices.auth(),
    }),
  });
  const app = express();
  app.use('/api/slipway', watch.router);
  app.use(
    MiddlewareFactory.create({
      config: new ConfigReader({}),
      logger: silent,
    }).error(),
  );
  const server = http.createServer(app);
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    stop: async () => {
      await watch.close();
      server.closeAllConnections();
      server.close();
      await knex.destroy();
    },
  };
}
