import { createTestDatabases } from '@slipway/test-utils';
import { createWatchStores } from '../watchStores';
import { OasisEventStore } from './OasisEventStore';
import { applyRetention } from './retention';

jest.setTimeout(60_000);

const databases = createTestDatabases();

describe('applyRetention', () => {
  it.each(databases.eachSupportedId())(
    'deletes events, deliveries and dedup keys older than the retention period on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const store = await OasisEventStore.create({ knex });
      const { events, deliveries, keys } = createWatchStores(store);
      const stores = { events, deliveries, keys };
      const now = new Date('2026-11-24T10:00:00Z');
      const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000);
      const row = (title: string, created: Date) => ({
        created_at: created,
        module: 'PUSH',
        source: 'github.actions',
        kind: 'push',
        status: 'info',
        title,
        meta: '{}',
      });
      await knex('oasis_events').insert([
        row('old', daysAgo(91)),
        row('edge', daysAgo(89)),
        row('new', daysAgo(1)),
      ]);
      await knex('webhook_deliveries').insert(
        [daysAgo(120), daysAgo(30)].map((received, i) => ({
          delivery_id: `d${i}`,
          event: 'push',
          received_at: received,
          payload: '{}',
          result: 'stored',
        })),
      );
      await knex('oasis_event_keys').insert([
        { dedup_key: 'old', event_id: 1, created_at: daysAgo(100) },
        { dedup_key: 'new', event_id: 3, created_at: daysAgo(2) },
      ]);

      expect(
        await applyRetention({ ...stores, retentionDays: 90, now }),
      ).toEqual({
        events: 1,
        deliveries: 1,
        keys: 1,
      });
      expect(await knex('oasis_events').orderBy('id').pluck('title')).toEqual([
        'edge',
        'new',
      ]);
      expect(await knex('webhook_deliveries').pluck('delivery_id')).toEqual([
        'd1',
      ]);
      expect(await knex('oasis_event_keys').pluck('dedup_key')).toEqual([
        'new',
      ]);
      // Nothing left to do the second time.
      expect(
        await applyRetention({ ...stores, retentionDays: 90, now }),
      ).toEqual({
        events: 0,
        deliveries: 0,
        keys: 0,
      });
      expect(
        await applyRetention({ ...stores, retentionDays: 7, now }),
      ).toEqual({
        events: 1,
        deliveries: 1,
        keys: 0,
      });
    },
  );
});
