import { createTestDatabases, postgresAvailable } from '@slipway/test-utils';
import { Knex } from 'knex';
import { applyDatabaseMigrations } from '../database/migrations';
import {
  KnexWebhookDeliveryStore,
  NewDelivery,
  WebhookDelivery,
} from './WebhookDeliveryStore';

jest.setTimeout(60_000);

const databases = createTestDatabases();
const describePostgres = postgresAvailable() ? describe : describe.skip;

function delivery(
  deliveryId: string,
  options: Partial<NewDelivery> = {},
): NewDelivery {
  return {
    deliveryId,
    event: 'push',
    action: null,
    hookId: '7',
    repo: 'acme/shop',
    payload: JSON.stringify({ delivery: deliveryId }),
    result: 'stored',
    error: null,
    receivedAt: new Date(),
    ...options,
  };
}

async function setup(databaseId: Parameters<typeof databases.init>[0]) {
  const knex: Knex = await databases.init(databaseId);
  await applyDatabaseMigrations(knex);
  return { knex, store: new KnexWebhookDeliveryStore(knex) };
}

describe('KnexWebhookDeliveryStore', () => {
  it.each(databases.eachSupportedId())(
    'writes a delivery id once, however often it arrives, on %p',
    async databaseId => {
      const { knex, store } = await setup(databaseId);
      const first = await knex.transaction(trx =>
        store.insertNew([delivery('a'), delivery('b')], { trx }),
      );
      expect([...first].sort()).toEqual(['a', 'b']);

      // A redelivery of `a` (another payload, even) changes nothing.
      const again = await knex.transaction(trx =>
        store.insertNew(
          [delivery('a', { payload: '{"second":true}' }), delivery('c')],
          { trx },
        ),
      );
      expect([...again]).toEqual(['c']);
      expect(await store.get('a', { withPayload: true })).toMatchObject({
        id: 'a',
        payload: { delivery: 'a' },
      });
      const page = await store.list({}, { limit: 10 });
      expect(page.items.map(d => d.id)).toEqual(['c', 'b', 'a']);
    },
  );

  it.each(databases.eachSupportedId())(
    'lists newest first, a page at a time by cursor, filtered by result, without payloads, on %p',
    async databaseId => {
      const { store, knex } = await setup(databaseId);
      const ids = Array.from({ length: 5 }, (_, i) => `d-${i}`);
      await knex.transaction(trx =>
        store.insertNew(
          ids.map((id, i) =>
            delivery(id, { result: i % 2 ? 'ignored' : 'stored' }),
          ),
          { trx },
        ),
      );

      const seen: WebhookDelivery[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.list({}, { limit: 2, cursor });
        seen.push(...page.items);
        cursor = page.nextCursor;
        pages += 1;
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen.map(d => d.id)).toEqual(['d-4', 'd-3', 'd-2', 'd-1', 'd-0']);
      expect(seen.every(d => d.payload === undefined)).toBe(true);
      expect(seen[0]).toMatchObject({
        event: 'push',
        hookId: '7',
        repo: 'acme/shop',
        eventIds: [],
        error: null,
      });

      const ignored = await store.list({ result: 'ignored' }, { limit: 10 });
      expect(ignored).toEqual({ items: [seen[1], seen[3]] });

      await expect(
        store.list({}, { limit: 2, cursor: 'not-a-cursor' }),
      ).rejects.toMatchObject({ name: 'InputError' });
    },
  );

  it.each(databases.eachSupportedId())(
    'records the events a delivery stored and what reprocessing decided, on %p',
    async databaseId => {
      const { store, knex } = await setup(databaseId);
      const receivedAt = new Date('2026-12-01T10:00:00Z');
      await knex.transaction(async trx => {
        await store.insertNew([delivery('x', { receivedAt })], { trx });
        await store.setEventIds([{ deliveryId: 'x', eventIds: ['11', '12'] }], {
          trx,
        });
      });
      expect(await store.get('x')).toMatchObject({
        eventIds: ['11', '12'],
        result: 'stored',
        processedAt: receivedAt.toISOString(),
      });

      const processedAt = new Date('2026-12-02T10:00:00Z');
      await knex.transaction(trx =>
        store.recordReprocessed(
          'x',
          {
            result: 'failed',
            error: 'mapping broke',
            repo: 'acme/other',
            eventIds: [],
            processedAt,
          },
          { trx },
        ),
      );
      expect(await store.get('x')).toEqual({
        id: 'x',
        event: 'push',
        action: null,
        hookId: '7',
        repo: 'acme/other',
        receivedAt: receivedAt.toISOString(),
        processedAt: processedAt.toISOString(),
        result: 'failed',
        eventIds: [],
        error: 'mapping broke',
      });

      // A rolled-back reprocessing leaves the delivery as it was.
      await expect(
        knex.transaction(async trx => {
          await store.recordReprocessed(
            'x',
            {
              result: 'stored',
              error: null,
              repo: 'acme/shop',
              eventIds: ['99'],
              processedAt: new Date(),
            },
            { trx },
          );
          throw new Error('the events could not be stored');
        }),
      ).rejects.toThrow('the events could not be stored');
      expect(await store.get('x')).toMatchObject({
        result: 'failed',
        eventIds: [],
      });
      expect(await store.get('missing')).toBeUndefined();
    },
  );

  it.each(databases.eachSupportedId())(
    'deletes only deliveries received before the cutoff, on %p',
    async databaseId => {
      const { store, knex } = await setup(databaseId);
      const cutoff = new Date('2026-11-01T00:00:00Z');
      await knex.transaction(trx =>
        store.insertNew(
          [
            delivery('old', { receivedAt: new Date('2026-10-01T00:00:00Z') }),
            delivery('edge', { receivedAt: cutoff }),
            delivery('new', { receivedAt: new Date('2026-11-20T00:00:00Z') }),
          ],
          { trx },
        ),
      );
      expect(await store.deleteOlderThan(cutoff)).toBe(1);
      expect(await store.deleteOlderThan(cutoff)).toBe(0);
      const left = await store.list({}, { limit: 10 });
      expect(left.items.map(d => d.id)).toEqual(['new', 'edge']);
    },
  );
});

describePostgres('KnexWebhookDeliveryStore on PostgreSQL', () => {
  it('lets exactly one of two instances racing with one delivery id write it', async () => {
    const knex = await databases.init('POSTGRES_15');
    await applyDatabaseMigrations(knex);
    const store = new KnexWebhookDeliveryStore(knex);

    const first = await knex.transaction();
    expect([
      ...(await store.insertNew([delivery('race')], { trx: first })),
    ]).toEqual(['race']);
    // The second waits on the first's row lock, then finds it taken.
    const second = knex.transaction(trx =>
      store.insertNew([delivery('race', { event: 'ping' })], { trx }),
    );
    await new Promise(r => setTimeout(r, 200));
    await first.commit();
    expect([...(await second)]).toEqual([]);
    expect(await store.get('race')).toMatchObject({ event: 'push' });
  });
});
