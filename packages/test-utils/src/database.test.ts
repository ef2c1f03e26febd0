import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { startTestBackend } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { inMemoryDatabases } from './database';

/** A plugin that hands out its database client once started. */
function pluginKeeping(pluginId: string, clients: Map<string, Knex>) {
  return createBackendPlugin({
    pluginId,
    register(env) {
      env.registerInit({
        deps: { database: coreServices.database },
        async init({ database }) {
          const client = await database.getClient();
          await client.schema.createTable('things', t => t.string('name'));
          await client('things').insert({ name: pluginId });
          clients.set(pluginId, client);
        },
      });
    },
  });
}

describe('inMemoryDatabases', () => {
  it('gives each plugin its own database and destroys them all when the backend stops', async () => {
    const clients = new Map<string, Knex>();
    const backend = await startTestBackend({
      features: [
        inMemoryDatabases(),
        pluginKeeping('first', clients),
        pluginKeeping('second', clients),
      ],
    });
    const first = clients.get('first')!;
    const second = clients.get('second')!;
    expect(await first('things').select('name')).toEqual([{ name: 'first' }]);
    expect(await second('things').select('name')).toEqual([{ name: 'second' }]);
    expect((await first.raw('PRAGMA foreign_keys'))[0].foreign_keys).toBe(1);

    await backend.stop();

    // A destroyed knex has no pool left: no timer, no open database.
    await expect(first.raw('select 1')).rejects.toThrow();
    await expect(second.raw('select 1')).rejects.toThrow();
  });

  it('lets a query that a stopping plugin runs just after its shutdown finish before destroying', async () => {
    let late: Promise<unknown> | undefined;
    let client: Knex | undefined;
    const lingering = createBackendPlugin({
      pluginId: 'lingering',
      register(env) {
        env.registerInit({
          deps: {
            database: coreServices.database,
            lifecycle: coreServices.lifecycle,
          },
          async init({ database, lifecycle }) {
            client = await database.getClient();
            await client.schema.createTable('ticks', t => t.integer('n'));
            // Like a loop woken by the shutdown signal: one more round.
            lifecycle.addShutdownHook(() => {
              setTimeout(() => {
                // .then() runs it now (a knex builder is lazy).
                late = client!('ticks')
                  .insert({ n: 1 })
                  .then(rows => rows);
              }, 200);
            });
          },
        });
      },
    });
    const backend = await startTestBackend({
      features: [inMemoryDatabases(), lingering],
    });
    await backend.stop();
    await expect(late).resolves.toBeDefined();
    await expect(client!.raw('select 1')).rejects.toThrow();
  });
});
