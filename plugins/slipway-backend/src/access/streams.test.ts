import { createTestDatabases } from '@slipway/test-utils';
import { openSse, SseTestClient } from '../oasis/__testUtils__/sseTestClient';
import {
  ALICE,
  as,
  MALLORY,
  OPEN,
  publish,
  SECRET,
  startReadsBackend,
} from './__testUtils__/readsBackend';

jest.setTimeout(120_000);

const databases = createTestDatabases();

/*
 * Limits of GET /events/stream: a per-user connection cap, a bounded replay
 * per connection, and read checks that follow a revocation (live, after the
 * 1 s cache TTL of this backend, and on reconnect).
 */
describe.each(databases.eachSupportedId())(
  'event stream limits on %p',
  databaseId => {
    let started: Awaited<ReturnType<typeof startReadsBackend>>;
    const denied = new Set<string>();
    const clients: SseTestClient[] = [];
    const open = (user: string, query = '') => {
      const client = openSse(
        started.baseUrl,
        `/api/slipway/events/stream${query}`,
        as(user),
      );
      clients.push(client);
      return client;
    };

    beforeAll(async () => {
      const knex = await databases.init(databaseId);
      started = await startReadsBackend(knex, {
        denied,
        slipway: {
          events: {
            entityCacheSeconds: 1,
            stream: {
              pollIntervalMs: 100,
              maxConnectionsPerUser: 2,
              maxReplayEvents: 3,
            },
          },
        },
      });
    });

    afterEach(() => {
      clients.splice(0).forEach(c => c.close());
    });

    afterAll(async () => {
      await started?.backend.stop();
    });

    it('refuses a user a third stream with 429, not another user', async () => {
      const first = open(MALLORY);
      const second = open(MALLORY);
      expect([await first.status, await second.status]).toEqual([200, 200]);
      const response = await fetch(
        `${started.baseUrl}/api/slipway/events/stream`,
        {
          headers: as(MALLORY),
        },
      );
      expect(response.status).toBe(429);
      const body = await response.json();
      expect(body.error.message).toContain(
        'slipway.events.stream.maxConnectionsPerUser',
      );
      expect(await open(ALICE).status).toBe(200);
      // A closed stream frees its slot.
      first.close();
      let status = 429;
      for (let i = 0; i < 100 && status === 429; i++) {
        await new Promise(r => setTimeout(r, 100));
        const again = open(MALLORY);
        status = await again.status;
        if (status !== 200) again.close();
      }
      expect(status).toBe(200);
    });

    it('replays at most maxReplayEvents, then tells the client where to resume', async () => {
      const start = await publish(started.server, OPEN, 'before');
      const ids: string[] = [];
      for (let i = 0; i < 5; i++)
        ids.push(await publish(started.server, OPEN, `replay ${i}`));
      const stream = open(ALICE, `?lastEventId=${start}`);
      await stream.ended;
      expect(stream.events.map(e => e.id)).toEqual(ids.slice(0, 3));
      expect(stream.notices).toHaveLength(1);
      const [notice] = stream.notices;
      expect(notice.event).toBe('replay-limit');
      expect(notice.data.lastEventId).toBe(ids[2]);
      expect(notice.id).toBe(ids[2]);
      expect(notice.data.message).toContain(
        'slipway.events.stream.maxReplayEvents',
      );
      // Resuming there replays the rest and stays open for live events.
      const resumed = open(ALICE, `?lastEventId=${notice.data.lastEventId}`);
      await resumed.waitFor(2);
      const live = await publish(started.server, OPEN, 'live');
      expect((await resumed.waitFor(3)).map(e => e.id)).toEqual([
        ...ids.slice(3),
        live,
      ]);
      expect(resumed.notices).toEqual([]);
    });

    it('stops showing a revoked entity on an open stream and on reconnect', async () => {
      denied.clear();
      const stream = open(ALICE);
      expect(await stream.status).toBe(200);
      const before = await publish(started.server, SECRET, 'secret before');
      await stream.waitFor(1);
      expect(stream.events[0].id).toBe(before);

      denied.add(ALICE);
      // The read cache keeps answers for 1 s (slipway.access.cacheTtlSeconds).
      await new Promise(r => setTimeout(r, 1500));
      const hidden = await publish(started.server, SECRET, 'secret after');
      const shown = await publish(started.server, OPEN, 'open after');
      await stream.waitFor(2);
      expect(stream.events.map(e => e.id)).toEqual([before, shown]);

      const resumed = open(ALICE, `?lastEventId=${Number(before) - 1}`);
      await resumed.waitFor(1);
      await new Promise(r => setTimeout(r, 300));
      expect(resumed.events.map(e => e.id)).toEqual([shown]);
      expect(resumed.events.some(e => e.id === hidden)).toBe(false);
      denied.clear();
    });
  },
);
