import { MiddlewareFactory } from '@backstage/backend-defaults/rootHttpRouter';
import { mockServices } from '@backstage/backend-test-utils';
import { createTestDatabases, postgresAvailable } from '@slipway/test-utils';
import express from 'express';
import knexFactory, { Knex } from 'knex';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEventsRouter } from './eventsRouter';
import { OasisEventStore } from './OasisEventStore';
import { OasisEventStream } from './OasisEventStream';
import { OasisEventTailer } from './OasisEventTailer';
import { StreamConnections } from './streamConnections';
import { testEvent as event, waitUntil } from './__testUtils__/events';
import {
  assertStrictlyIncreasing,
  openSse,
  SseTestClient,
} from './__testUtils__/sseTestClient';
import { VtidExtractor } from './vtid';
import {
  sendDelivery,
  startWatchBackend,
} from '../webhooks/__testUtils__/testBackend';

jest.setTimeout(120_000);

const databases = createTestDatabases();
const describePostgres = postgresAvailable() ? describe : describe.skip;

/** The events routes on a plain express app: store, tailer and stream in reach. */
async function startStreamServer(
  knex: Knex,
  options: {
    maxBufferedEvents?: number;
    pollIntervalMs?: number;
    maxConnectionMs?: number;
  } = {},
) {
  const store = await OasisEventStore.create({ knex });
  const tailer = new OasisEventTailer({
    store,
    pollIntervalMs: options.pollIntervalMs ?? 100,
  });
  const stream = new OasisEventStream({
    store,
    tailer,
    maxBufferedEvents: options.maxBufferedEvents ?? 500,
    heartbeatMs: 200,
    maxConnectionMs: options.maxConnectionMs,
  });
  const app = express();
  app.use(
    '/api/slipway',
    createEventsRouter({
      store,
      stream,
      httpAuth: mockServices.httpAuth(),
      permissions: mockServices.permissions(),
      auditor: mockServices.auditor.mock(),
      vtid: new VtidExtractor(),
      // Read checks are proven in access/reads.test.ts; here everyone reads.
      access: {
        scopeOf: async () => ({
          principal: 'service:test',
          unrestricted: true,
          canReadEntity: async () => true,
          canReadEvent: async () => true,
          filter: async items => items,
        }),
      },
      connections: new StreamConnections({ maxPerCaller: 1000 }),
    }),
  );
  app.use(
    MiddlewareFactory.create({
      config: mockServices.rootConfig(),
      logger: mockServices.logger.mock(),
    }).error(),
  );
  const server = http.createServer(app);
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: SseTestClient[] = [];
  return {
    store,
    tailer,
    stream,
    baseUrl,
    open(path: string, headers?: Record<string, string>) {
      const client = openSse(baseUrl, path, headers);
      clients.push(client);
      return client;
    },
    async close() {
      clients.forEach(c => c.close());
      tailer.close();
      server.closeAllConnections();
      await new Promise(r => server.close(r));
    },
  };
}

describe('GET /events/stream', () => {
  it.each(databases.eachSupportedId())(
    'replays after Last-Event-ID, then goes live, with filters and heartbeats, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const s = await startStreamServer(knex);
      try {
        for (let i = 0; i < 5; i++) await s.store.publish(event(`before-${i}`));

        const live = s.open('/api/slipway/events/stream');
        const filtered = s.open('/api/slipway/events/stream?status=failure');
        expect(await live.status).toBe(200);
        await waitUntil(
          () =>
            live.comments.includes('connected') &&
            filtered.comments.includes('connected'),
        );
        for (let i = 0; i < 3; i++) {
          await s.store.publish(
            event(`live-${i}`, { status: i === 1 ? 'failure' : 'success' }),
          );
        }
        const got = await live.waitFor(3);
        expect(got.map(e => e.title)).toEqual(['live-0', 'live-1', 'live-2']);
        expect((await filtered.waitFor(1)).map(e => e.title)).toEqual([
          'live-1',
        ]);
        live.close();

        // Missed while disconnected: replayed on reconnect, then live again.
        for (let i = 0; i < 4; i++) await s.store.publish(event(`missed-${i}`));
        const again = s.open('/api/slipway/events/stream', {
          'last-event-id': got[2].id,
        });
        const replayed = await again.waitFor(4);
        expect(replayed.map(e => e.title)).toEqual([
          'missed-0',
          'missed-1',
          'missed-2',
          'missed-3',
        ]);
        await s.store.publish(event('after-reconnect'));
        expect((await again.waitFor(5))[4].title).toBe('after-reconnect');
        assertStrictlyIncreasing(again.events);

        // The query form, for clients that cannot set headers.
        const viaQuery = s.open(
          `/api/slipway/events/stream?lastEventId=${got[0].id}&status=success`,
        );
        expect((await viaQuery.waitFor(1)).map(e => e.title)).toEqual([
          'live-2',
        ]);

        // Heartbeats are comments.
        await waitUntil(() => again.comments.includes('heartbeat'), 5000);
        expect(again.events).toHaveLength(5);

        const bad = s.open('/api/slipway/events/stream', {
          'last-event-id': 'abc',
        });
        expect(await bad.status).toBe(400);
      } finally {
        await s.close();
      }
    },
  );

  it.each(databases.eachSupportedId())(
    'never skips or repeats an event when transactions commit out of id order on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const s = await startStreamServer(knex, { pollIntervalMs: 50 });
      try {
        const a = s.open('/api/slipway/events/stream');
        await waitUntil(() => a.comments.includes('connected'));

        // Many writers whose transactions overlap and end in random order.
        const writers = 12;
        const perWriter = 25;
        const b = s.open('/api/slipway/events/stream');
        await waitUntil(() => b.comments.includes('connected'));
        const before = a.events.length;
        await Promise.all(
          Array.from({ length: writers }, async (_, w) => {
            for (let i = 0; i < perWriter; i++) {
              const trx = await knex.transaction();
              const events = await s.store.insertEvents(trx, [
                event(`w${w}-${i}`),
              ]);
              await new Promise(r => setTimeout(r, Math.random() * 15));
              if (i % 10 === 9) {
                await trx.rollback();
              } else {
                await trx.commit();
                s.store.afterCommit(events);
              }
            }
          }),
        );
        const committed =
          writers * perWriter - writers * Math.floor(perWriter / 10);
        await a.waitFor(before + committed);
        await b.waitFor(committed);
        await new Promise(r => setTimeout(r, 300));
        const inTable = (
          await knex('oasis_events').orderBy('id').pluck('id')
        ).map(String);
        expect(a.events.map(e => e.id)).toEqual(inTable);
        expect(b.events.map(e => e.id)).toEqual(inTable.slice(before));
        assertStrictlyIncreasing(a.events);
      } finally {
        await s.close();
      }
    },
  );

  it.each(databases.eachSupportedId())(
    'drops a stalled subscriber to replay instead of stalling others or buffering without bound on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const s = await startStreamServer(knex, { maxBufferedEvents: 50 });
      try {
        const stalled = s.open('/api/slipway/events/stream');
        const healthy = s.open('/api/slipway/events/stream');
        await waitUntil(
          () =>
            stalled.comments.includes('connected') &&
            healthy.comments.includes('connected'),
        );
        stalled.pause();

        // ~12 MB of events: far more than socket buffers hold.
        const padding = 'x'.repeat(6000);
        const total = 2000;
        let maxBuffered = 0;
        for (let i = 0; i < total; i += 100) {
          await s.store.publishMany(
            Array.from({ length: 100 }, (_, j) =>
              event(`bulk-${i + j}`, { meta: { padding } }),
            ),
          );
          maxBuffered = Math.max(maxBuffered, s.stream.stats().bufferedEvents);
        }
        // The healthy one is not held back by the stalled one.
        await healthy.waitFor(total, 60_000);
        assertStrictlyIncreasing(healthy.events);
        const stats = s.stream.stats();
        expect(stats.subscribers).toBe(2);
        expect(stats.overflows).toBeGreaterThan(0);
        expect(maxBuffered).toBeLessThanOrEqual(2 * 50);
        expect(stalled.events.length).toBeLessThan(total);

        // Once it reads again it catches up from the table: all, once, in order.
        stalled.resume();
        await stalled.waitFor(total, 60_000);
        expect(stalled.events.map(e => e.title)).toEqual(
          healthy.events.map(e => e.title),
        );
        assertStrictlyIncreasing(stalled.events);
      } finally {
        await s.close();
      }
    },
  );
});

describe('GET /events/stream lifetime', () => {
  it('ends a connection after maxConnectionMs; the client resumes where it was', async () => {
    const knex = await databases.init('SQLITE_3');
    const s = await startStreamServer(knex, { maxConnectionMs: 1000 });
    try {
      const first = s.open('/api/slipway/events/stream');
      expect(await first.status).toBe(200);
      const a = await s.store.publish(event('before end'));
      await first.waitFor(1);
      const started = Date.now();
      await first.ended;
      expect(Date.now() - started).toBeLessThan(5000);
      expect(first.comments).toContain('stream lifetime reached, reconnect');
      const b = await s.store.publish(event('meanwhile'));
      const resumed = s.open(`/api/slipway/events/stream?lastEventId=${a.id}`);
      expect((await resumed.waitFor(1)).map(e => e.id)).toEqual([b.id]);
    } finally {
      await s.close();
    }
  });
});

describe('GET /events/stream through the backend', () => {
  it('streams uncompressed and promptly to a client that accepts gzip', async () => {
    const knex = await databases.init('SQLITE_3');
    const backend = await startWatchBackend({ knex });
    const server = backend.server;
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = openSse(url, '/api/slipway/events/stream', {
      'accept-encoding': 'gzip, deflate, br',
    });
    try {
      await waitUntil(() => client.comments.includes('connected'));
      const examples: Array<{
        name: string;
        examples: any[];
      }> = require('@octokit/webhooks-examples/api.github.com/index.json');
      const push = examples.find(e => e.name === 'push')!.examples[4];
      expect((await sendDelivery(server, 'push', push)).status).toBe(202);
      const [got] = await client.waitFor(1, 5_000);
      expect(got).toMatchObject({ kind: 'push', source: 'github.actions' });
    } finally {
      client.close();
      await backend.stop();
    }
  });
});

describePostgres('GET /events/stream on PostgreSQL', () => {
  it('holds a committed event behind a lower id still in flight, and skips a rolled-back id', async () => {
    const knex = await databases.init('POSTGRES_15');
    const s = await startStreamServer(knex, { pollIntervalMs: 50 });
    try {
      const a = s.open('/api/slipway/events/stream');
      await waitUntil(() => a.comments.includes('connected'));
      // A takes the lower id but commits after B.
      const trxA = await knex.transaction();
      const [early] = await s.store.insertEvents(trxA, [
        event('takes-id-first'),
      ]);
      const late = await s.store.publish(event('commits-first'));
      expect(BigInt(late.id)).toBeGreaterThan(BigInt(early.id));
      await new Promise(r => setTimeout(r, 400));
      // B is visible in the table, but the stream holds it behind A.
      expect(a.events).toEqual([]);
      await trxA.commit();
      s.store.afterCommit([early]);
      expect((await a.waitFor(2)).map(e => e.title)).toEqual([
        'takes-id-first',
        'commits-first',
      ]);

      // A rolled-back id is skipped once its transaction has ended.
      const trxC = await knex.transaction();
      await s.store.insertEvents(trxC, [event('rolled-back')]);
      await s.store.publish(event('after-rollback'));
      await new Promise(r => setTimeout(r, 200));
      expect(a.events).toHaveLength(2);
      await trxC.rollback();
      expect((await a.waitFor(3))[2].title).toBe('after-rollback');
    } finally {
      await s.close();
    }
  });

  it('delivers an event accepted by one instance to subscribers of another', async () => {
    const knexA = await databases.init('POSTGRES_15');
    const knexB = knexFactory({
      client: 'pg',
      connection: knexA.client.config.connection,
      pool: { min: 0, max: 5 },
    });
    try {
      const a = await startWatchBackend({ knex: knexA });
      const b = await startWatchBackend({ knex: knexB });
      const bUrl = `http://127.0.0.1:${
        (b.server.address() as AddressInfo).port
      }`;
      const sub = openSse(bUrl, '/api/slipway/events/stream?kind=push');
      try {
        await waitUntil(() => sub.comments.includes('connected'));
        const examples: Array<{
          name: string;
          examples: any[];
        }> = require('@octokit/webhooks-examples/api.github.com/index.json');
        const push = examples.find(e => e.name === 'push')!.examples[4];
        const started = Date.now();
        for (let i = 0; i < 5; i++) {
          // Five pushes (the same one again would be stored once).
          const next = { ...push, after: String(i + 1).padStart(40, '0') };
          expect((await sendDelivery(a.server, 'push', next)).status).toBe(202);
        }
        const got = await sub.waitFor(5, 10_000);
        expect(Date.now() - started).toBeLessThan(10_000);
        expect(
          got.every(
            e => e.kind === 'push' && e.repo === push.repository.full_name,
          ),
        ).toBe(true);
        assertStrictlyIncreasing(got);
      } finally {
        sub.close();
        await a.stop();
        await b.stop();
      }
    } finally {
      await knexB.destroy();
    }
  });
});
