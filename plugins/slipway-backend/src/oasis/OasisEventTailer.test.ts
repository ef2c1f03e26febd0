import type { OasisEvent } from '@slipway/plugin-slipway-common';
import { createTestDatabases, postgresAvailable } from '@slipway/test-utils';
import knexFactory, { Knex } from 'knex';
import { OasisEventStore } from './OasisEventStore';
import { OasisEventTailer } from './OasisEventTailer';
import { testEvent as event, waitUntil } from './__testUtils__/events';

jest.setTimeout(60_000);

const databases = createTestDatabases();
const describePostgres = postgresAvailable() ? describe : describe.skip;

/**
 * The store as the tailer sees it, except that every raw query of the
 * tailer (its look at the writers in progress) first runs `beforeRaw`: a
 * test can decide exactly what happens between the tailer's read of the
 * table and that look.
 */
function withHookBeforeRaw(
  store: OasisEventStore,
  beforeRaw: () => Promise<void>,
): OasisEventStore {
  const knex = new Proxy(store.knex, {
    get(target, prop, receiver) {
      if (prop === 'raw') {
        return async (...args: Parameters<Knex['raw']>) => {
          await beforeRaw();
          return target.raw(...args);
        };
      }
      return Reflect.get(target, prop, receiver);
    },
  });
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'knex') return knex;
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describePostgres('OasisEventTailer on PostgreSQL', () => {
  it('does not skip an id whose writer commits between the read and the look at the writers', async () => {
    const knex = await databases.init('POSTGRES_15');
    const store = await OasisEventStore.create({ knex });
    let commitBeforeLook: (() => Promise<void>) | undefined;
    const tailer = new OasisEventTailer({
      store: withHookBeforeRaw(store, async () => {
        const commit = commitBeforeLook;
        commitBeforeLook = undefined;
        await commit?.();
      }),
      // Only commits wake the tailer in this test.
      pollIntervalMs: 60_000,
    });
    const received: OasisEvent[] = [];
    const { unsubscribe } = await tailer.subscribe(events =>
      received.push(...events),
    );
    try {
      // A takes the lower id; B takes the next one and commits first. The
      // tailer then sees B with a gap below it, and A commits right after
      // that read, just before the tailer asks which writers are left.
      const trxA = await knex.transaction();
      const [early] = await store.insertEvents(trxA, [event('takes-id-first')]);
      commitBeforeLook = async () => {
        await trxA.commit();
      };
      const late = await store.publish(event('commits-first'));
      expect(BigInt(late.id)).toBe(BigInt(early.id) + 1n);

      await waitUntil(() => received.length >= 2, 3_000).catch(() => {});
      expect(commitBeforeLook).toBeUndefined();
      expect(received.map(e => e.title)).toEqual([
        'takes-id-first',
        'commits-first',
      ]);
      expect(tailer.cursor).toBe(BigInt(late.id));
    } finally {
      unsubscribe();
      tailer.close();
    }
  });

  it('skips an id whose writer rolled back before the read, and nothing else', async () => {
    const knex = await databases.init('POSTGRES_15');
    const store = await OasisEventStore.create({ knex });
    const tailer = new OasisEventTailer({ store, pollIntervalMs: 60_000 });
    const received: OasisEvent[] = [];
    const { unsubscribe } = await tailer.subscribe(events =>
      received.push(...events),
    );
    try {
      const trx = await knex.transaction();
      const [lost] = await store.insertEvents(trx, [event('rolled-back')]);
      await trx.rollback();
      const kept = await store.publish(event('kept'));
      await waitUntil(() => received.length >= 1);
      expect(received.map(e => e.title)).toEqual(['kept']);
      expect(BigInt(kept.id)).toBeGreaterThan(BigInt(lost.id));
      expect(tailer.cursor).toBe(BigInt(kept.id));
    } finally {
      unsubscribe();
      tailer.close();
    }
  });

  it('hears of an event stored by another instance without waiting for a poll, also after its listening connection dropped', async () => {
    const knexA = await databases.init('POSTGRES_15');
    const knexB = knexFactory({
      client: 'pg',
      connection: knexA.client.config.connection,
      pool: { min: 0, max: 3 },
    });
    const storeA = await OasisEventStore.create({ knex: knexA });
    const storeB = await OasisEventStore.create({
      knex: knexB,
      skipMigrations: true,
    });
    // A poll an hour apart: only a notification can wake instance B.
    const tailer = new OasisEventTailer({
      store: storeB,
      pollIntervalMs: 3_600_000,
    });
    const received: OasisEvent[] = [];
    const { unsubscribe } = await tailer.subscribe(events =>
      received.push(...events),
    );
    try {
      await waitUntil(() => tailer.notifications?.backendPid !== undefined);
      await storeA.publish(event('from-a-1'));
      await waitUntil(() => received.length >= 1, 5_000);
      expect(received.map(e => e.title)).toEqual(['from-a-1']);

      // The server ends the listening connection; B opens a new one.
      const pid = tailer.notifications!.backendPid!;
      await knexA.raw('select pg_terminate_backend(?)', [pid]);
      await waitUntil(
        () =>
          tailer.notifications?.backendPid !== undefined &&
          tailer.notifications.backendPid !== pid,
        10_000,
      );
      await storeA.publish(event('from-a-2'));
      await waitUntil(() => received.length >= 2, 5_000);
      expect(received.map(e => e.title)).toEqual(['from-a-1', 'from-a-2']);
    } finally {
      unsubscribe();
      tailer.close();
      await knexB.destroy();
    }
  });
});
