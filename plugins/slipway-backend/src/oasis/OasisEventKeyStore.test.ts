import { createTestDatabases } from '@slipway/test-utils';
import { applyDatabaseMigrations } from '../database/migrations';
import { KnexOasisEventKeyStore } from './OasisEventKeyStore';

jest.setTimeout(60_000);

const databases = createTestDatabases();

describe('KnexOasisEventKeyStore', () => {
  it.each(databases.eachSupportedId())(
    'gives each key to its first claimer, points it at its event, frees it and ages it out, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const store = new KnexOasisEventKeyStore(knex);
      const old = new Date('2026-10-01T00:00:00Z');
      const recent = new Date('2026-12-01T00:00:00Z');

      const first = await knex.transaction(async trx => {
        const claimed = await store.claim(['run:1', 'run:2'], old, { trx });
        await store.pointAt(
          [
            ['run:1', '11'],
            ['run:2', '12'],
          ],
          { trx },
        );
        return claimed;
      });
      expect([...first].sort()).toEqual(['run:1', 'run:2']);
      const second = await knex.transaction(trx =>
        store.claim(['run:2', 'run:3'], recent, { trx }),
      );
      expect([...second]).toEqual(['run:3']);
      const pointers = async () =>
        (await knex('oasis_event_keys').orderBy('dedup_key')).map(r => [
          r.dedup_key,
          String(r.event_id),
        ]);
      expect(await pointers()).toEqual([
        ['run:1', '11'],
        ['run:2', '12'],
        ['run:3', '0'],
      ]);

      // Reprocessing deletes an event: its key may be claimed again.
      await knex.transaction(trx => store.deleteForEvents(['12'], { trx }));
      const again = await knex.transaction(trx =>
        store.claim(['run:2'], recent, { trx }),
      );
      expect([...again]).toEqual(['run:2']);

      expect(
        await store.deleteOlderThan(new Date('2026-11-01T00:00:00Z')),
      ).toBe(1);
      expect((await pointers()).map(([key]) => key)).toEqual([
        'run:2',
        'run:3',
      ]);
    },
  );
});
