import type { OasisEvent } from '@slipway/plugin-slipway-common';
import { createTestDatabases, postgresAvailable } from '@slipway/test-utils';
import { Knex } from 'knex';
import { OasisEventStore, prepareEvent } from '../oasis/OasisEventStore';
import { createWatchStores } from '../watchStores';
import { DeliveryRecord, DeliveryWriter } from './DeliveryWriter';

jest.setTimeout(60_000);

const databases = createTestDatabases();
const describePostgres = postgresAvailable() ? describe : describe.skip;

function record(
  deliveryId: string,
  options: { dedupKey?: string; status?: string; events?: number } = {},
): DeliveryRecord {
  return {
    deliveryId,
    event: 'workflow_run',
    action: 'completed',
    hookId: '1',
    repo: 'octo-org/octo-repo',
    payload: JSON.stringify({ delivery: deliveryId }),
    result: 'stored',
    error: null,
    receivedAt: new Date(),
    events: Array.from({ length: options.events ?? 1 }, (_, i) => {
      const row = prepareEvent({
        module: 'WORKFLOW',
        source: 'github.actions',
        kind: 'workflow_run',
        status: 'success',
        title: 'CICDL-WORKFLOW-COMPLETED',
        repo: 'octo-org/octo-repo',
        meta: { deliveryId, n: i },
      });
      // A row the database refuses (its status check constraint).
      if (options.status) row.status = options.status;
      return { row, dedupKey: options.dedupKey };
    }),
    sources: [],
  };
}

/** Counts the statements that insert deliveries. */
function countDeliveryInserts(knex: Knex) {
  let count = 0;
  knex.on('query', (q: { sql: string }) => {
    if (/^insert into "webhook_deliveries"/i.test(q.sql)) count++;
  });
  return () => count;
}

describe('DeliveryWriter', () => {
  it.each(databases.eachSupportedId())(
    'stores concurrent deliveries in shared transactions, each with its own outcome, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const store = await OasisEventStore.create({ knex });
      const committed: OasisEvent[] = [];
      store.onCommit(events => committed.push(...events));
      const writer = new DeliveryWriter({ stores: createWatchStores(store) });
      const inserts = countDeliveryInserts(knex);

      const outcomes = await Promise.all([
        ...Array.from({ length: 60 }, (_, i) =>
          writer.write(record(`d-${i}`, { events: i % 3 })),
        ),
        // The same delivery twice in one burst: stored once.
        writer.write(record('d-0')),
        // Two deliveries of one fact (same dedup key): one event.
        writer.write(record('k-1', { dedupKey: 'run:7:completed' })),
        writer.write(record('k-2', { dedupKey: 'run:7:completed' })),
      ]);

      expect(inserts()).toBeLessThan(10);
      expect(outcomes.slice(0, 60).every(o => !o.duplicate)).toBe(true);
      expect(outcomes[60]).toEqual({ duplicate: true });
      const [k1, k2] = outcomes.slice(61);
      expect(k1.duplicate || k1.events.length).toBe(1);
      expect(k2.duplicate || k2.events.length).toBe(0);

      const rows = await knex('webhook_deliveries').orderBy('delivery_id');
      expect(rows).toHaveLength(62);
      const events = await knex('oasis_events').orderBy('id');
      const expected = Array.from({ length: 60 }, (_, i) => i % 3).reduce(
        (a, b) => a + b,
        1,
      );
      expect(events).toHaveLength(expected);
      // Each delivery row lists exactly the events it produced.
      for (const row of rows) {
        const ids: string[] = JSON.parse(row.event_ids);
        const mine = events
          .filter(e => JSON.parse(e.meta).deliveryId === row.delivery_id)
          .map(e => String(e.id));
        expect(ids).toEqual(mine);
      }
      const key = await knex('oasis_event_keys').first();
      expect(String(key.event_id)).toBe(
        (outcomes[61] as { events: OasisEvent[] }).events[0].id,
      );
      // Streams heard of every event once, in id order.
      expect(committed.map(e => e.id)).toEqual(events.map(e => String(e.id)));

      // A later redelivery is a duplicate and writes nothing.
      expect(await writer.write(record('d-1'))).toEqual({ duplicate: true });
      expect(await knex('webhook_deliveries').count({ n: '*' })).toEqual([
        { n: databaseId === 'POSTGRES_15' ? '62' : 62 },
      ]);
    },
  );

  it.each(databases.eachSupportedId())(
    'fails only the delivery the database refuses, leaving no part of it, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const store = await OasisEventStore.create({ knex });
      const writer = new DeliveryWriter({ stores: createWatchStores(store) });

      const results = await Promise.allSettled([
        writer.write(record('good-1')),
        writer.write(record('bad', { status: 'exploded', events: 2 })),
        writer.write(record('good-2')),
      ]);
      expect(results.map(r => r.status)).toEqual([
        'fulfilled',
        'rejected',
        'fulfilled',
      ]);
      expect(
        (await knex('webhook_deliveries').orderBy('delivery_id')).map(
          r => r.delivery_id,
        ),
      ).toEqual(['good-1', 'good-2']);
      const metas = (await knex('oasis_events')).map(e => JSON.parse(e.meta));
      expect(metas.map(m => m.deliveryId).sort()).toEqual(['good-1', 'good-2']);

      // The writer keeps working after a refusal.
      expect(await writer.write(record('good-3'))).toMatchObject({
        duplicate: false,
      });
    },
  );
});

describePostgres('DeliveryWriter on PostgreSQL', () => {
  it('refuses a delivery with 503 while the database stalls and enough already waits, and stores the waiting ones when it answers', async () => {
    const knex = await databases.init('POSTGRES_15');
    const store = await OasisEventStore.create({ knex });
    const size = record('held-1').payload.length;
    const writer = new DeliveryWriter({
      stores: createWatchStores(store),
      maxPendingBytes: 3 * size,
    });

    // Another session holds the deliveries table: writes wait.
    const blocker = await knex.transaction();
    await blocker.raw('lock table webhook_deliveries in access exclusive mode');
    const held = ['held-1', 'held-2', 'held-3'].map(id =>
      writer.write(record(id)),
    );
    expect(writer.pendingBytes).toBe(3 * size);
    await expect(writer.write(record('refused'))).rejects.toMatchObject({
      name: 'ServiceUnavailableError',
      message: expect.stringContaining('redeliver'),
    });

    await blocker.commit();
    const outcomes = await Promise.all(held);
    expect(outcomes.every(o => !o.duplicate)).toBe(true);
    expect(writer.pendingBytes).toBe(0);
    expect(
      (await knex('webhook_deliveries').orderBy('delivery_id')).map(
        r => r.delivery_id,
      ),
    ).toEqual(['held-1', 'held-2', 'held-3']);
    // With the database answering again, it is accepted.
    expect(await writer.write(record('refused'))).toMatchObject({
      duplicate: false,
    });
  });
});
