import { createTestDatabases } from '@slipway/test-utils';
import { Knex } from 'knex';
import { applyDatabaseMigrations } from '../database/migrations';
import { KnexWebhookSourceStore } from './WebhookSourceStore';

jest.setTimeout(60_000);

const databases = createTestDatabases();

async function setup(databaseId: Parameters<typeof databases.init>[0]) {
  const knex: Knex = await databases.init(databaseId);
  await applyDatabaseMigrations(knex);
  return { knex, store: new KnexWebhookSourceStore(knex) };
}

describe('KnexWebhookSourceStore', () => {
  it.each(databases.eachSupportedId())(
    'tells a repository connected by its own or its organization’s hook, with its last delivery, on %p',
    async databaseId => {
      const { knex, store } = await setup(databaseId);
      expect(await store.liveness('acme/shop')).toEqual({
        connected: false,
        lastDeliveryAt: null,
      });

      const pinged = new Date('2026-12-01T10:00:00Z');
      const delivered = new Date('2026-12-01T11:00:00Z');
      await knex.transaction(trx =>
        store.touch(
          [
            {
              sourceKey: 'repo:acme/shop',
              hookId: '7',
              pingedAt: pinged,
              lastDeliveryAt: pinged,
            },
          ],
          { trx },
        ),
      );
      // A later delivery (no hook id in its payload) keeps the ping.
      await knex.transaction(trx =>
        store.touch(
          [
            {
              sourceKey: 'repo:acme/shop',
              hookId: null,
              lastDeliveryAt: delivered,
            },
          ],
          { trx },
        ),
      );
      expect(await store.liveness('acme/shop')).toEqual({
        connected: true,
        lastDeliveryAt: delivered.toISOString(),
      });
      expect(await store.pingedRepositories()).toEqual(['acme/shop']);
      expect(await store.lastDeliveries(['acme/shop', 'acme/none'])).toEqual(
        new Map([['acme/shop', delivered.getTime()]]),
      );

      // An organization's hook connects its repositories; only a
      // repository's own deliveries give it a last delivery.
      await knex.transaction(trx =>
        store.touch(
          [
            {
              sourceKey: 'org:octo',
              hookId: '9',
              pingedAt: pinged,
              lastDeliveryAt: pinged,
            },
          ],
          { trx },
        ),
      );
      expect(await store.liveness('octo/app')).toEqual({
        connected: true,
        lastDeliveryAt: null,
      });
      // Only repositories that pinged are polling targets.
      expect(await store.pingedRepositories()).toEqual(['acme/shop']);
    },
  );

  it.each(databases.eachSupportedId())(
    'merges several touches of one source in one call, later ones winning, and keeps nothing of a rolled-back one, on %p',
    async databaseId => {
      const { knex, store } = await setup(databaseId);
      const t1 = new Date('2026-12-01T10:00:00Z');
      const t2 = new Date('2026-12-01T10:00:05Z');
      await knex.transaction(trx =>
        store.touch(
          [
            { sourceKey: 'repo:acme/a', hookId: '1', lastDeliveryAt: t1 },
            { sourceKey: 'repo:acme/b', hookId: '2', lastDeliveryAt: t1 },
            { sourceKey: 'repo:acme/a', hookId: null, lastDeliveryAt: t2 },
          ],
          { trx },
        ),
      );
      expect(await store.lastDeliveries(['acme/a', 'acme/b'])).toEqual(
        new Map([
          ['acme/a', t2.getTime()],
          ['acme/b', t1.getTime()],
        ]),
      );
      expect(await store.pingedRepositories()).toEqual([]);

      await expect(
        knex.transaction(async trx => {
          await store.touch(
            [
              {
                sourceKey: 'repo:acme/c',
                hookId: '3',
                pingedAt: t2,
                lastDeliveryAt: t2,
              },
            ],
            { trx },
          );
          throw new Error('the delivery was refused');
        }),
      ).rejects.toThrow('the delivery was refused');
      expect(await store.liveness('acme/c')).toEqual({
        connected: false,
        lastDeliveryAt: null,
      });
    },
  );
});
