/*
 * Backstage's database service never destroys SQLite connections when the
 * backend stops (its DatabaseManager skips clients whose name contains
 * "sqlite3"). Each plugin started on the default in-memory database so
 * leaves a knex pool behind, and the pool's reaping interval keeps the Jest
 * worker alive after its tests ("A worker process has failed to exit
 * gracefully"). Tests use this factory instead.
 *
 * Some plugins' loops do not finish with their plugin: the catalog's
 * processing engine stops without waiting for the round in flight, and
 * loops woken by the shutdown signal run one more query. A pool destroyed
 * under them turns that query into an unhandled "Unable to acquire a
 * connection", which Jest pins on whatever test the worker runs next. So a
 * database is destroyed only once it has been quiet: no query for
 * QUIET_MS and none in flight (bounded by MAX_WAIT_MS).
 */
import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import knexFactory, { Knex } from 'knex';

const QUIET_MS = 1000;
const POLL_MS = 50;
const MAX_WAIT_MS = 15_000;

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** Destroys `client` once no query ran for QUIET_MS and none is in flight. */
async function destroyWhenQuiet(client: Knex, lastQueryAt: () => number) {
  const pool = client.client.pool as
    | { numUsed(): number; numPendingAcquires(): number }
    | undefined;
  const deadline = Date.now() + MAX_WAIT_MS;
  while (Date.now() < deadline) {
    const busy = pool ? pool.numUsed() + pool.numPendingAcquires() : 0;
    if (busy === 0 && Date.now() - lastQueryAt() >= QUIET_MS) break;
    await sleep(POLL_MS);
  }
  await client.destroy();
}

/**
 * A database service for `startTestBackend`: every plugin gets its own
 * in-memory SQLite database (as with Backstage's default test config), and
 * all of them are destroyed when the backend stops, after every plugin has
 * shut down and its database has gone quiet.
 */
export function inMemoryDatabases(
  options: {
    /**
     * Databases the test made itself (e.g. from TestDatabases), by plugin
     * id: those plugins get them, and the test destroys them.
     */
    given?: Record<string, Knex>;
  } = {},
) {
  return createServiceFactory({
    service: coreServices.database,
    deps: {
      rootLifecycle: coreServices.rootLifecycle,
      plugin: coreServices.pluginMetadata,
    },
    createRootContext({ rootLifecycle }) {
      const clients = new Map<Knex, () => number>();
      rootLifecycle.addShutdownHook(async () => {
        await Promise.all(
          [...clients].map(([client, lastQueryAt]) =>
            destroyWhenQuiet(client, lastQueryAt),
          ),
        );
        clients.clear();
      });
      return clients;
    },
    factory({ plugin }, clients) {
      const given = options.given?.[plugin.getId()];
      if (given) {
        return { getClient: async () => given, migrations: { skip: false } };
      }
      let client: Knex | undefined;
      return {
        getClient: async () => {
          if (!client) {
            client = knexFactory({
              client: 'better-sqlite3',
              connection: { filename: ':memory:' },
              useNullAsDefault: true,
              pool: {
                afterCreate: (
                  connection: { pragma(sql: string): unknown },
                  done: (error: Error | null, connection: unknown) => void,
                ) => {
                  // As Backstage's own SQLite connector does.
                  connection.pragma('foreign_keys = ON');
                  done(null, connection);
                },
              },
            });
            let lastQueryAt = Date.now();
            client.on('query', () => {
              lastQueryAt = Date.now();
            });
            clients.set(client, () => lastQueryAt);
          }
          return client;
        },
        migrations: { skip: false },
      };
    },
  });
}
