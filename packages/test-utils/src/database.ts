/*
 * Backstage's database service never destroys SQLite connections when the
 * backend stops (its DatabaseManager skips clients whose name contains
 * "sqlite3"). Each plugin started on the default in-memory database so
 * leaves a knex pool behind, and the pool's reaping interval keeps the Jest
 * worker alive after its tests ("A worker process has failed to exit
 * gracefully"). Tests use this factory instead.
 */
import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import knexFactory, { Knex } from 'knex';

/**
 * A database service for `startTestBackend`: every plugin gets its own
 * in-memory SQLite database (as with Backstage's default test config), and
 * all of them are destroyed when the backend stops, after every plugin has
 * shut down.
 */
export function inMemoryDatabases() {
  return createServiceFactory({
    service: coreServices.database,
    deps: { rootLifecycle: coreServices.rootLifecycle },
    createRootContext({ rootLifecycle }) {
      const clients = new Set<Knex>();
      rootLifecycle.addShutdownHook(async () => {
        await Promise.all([...clients].map(client => client.destroy()));
        clients.clear();
      });
      return clients;
    },
    factory(_deps, clients) {
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
            clients.add(client);
          }
          return client;
        },
        migrations: { skip: false },
      };
    },
  });
}
