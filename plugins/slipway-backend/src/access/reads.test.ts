import { createTestDatabases } from '@slipway/test-utils';
import http from 'node:http';
import request from 'supertest';
import { openSse, SseTestClient } from '../oasis/__testUtils__/sseTestClient';
import {
  workflowRunPayload,
  newSha,
} from '../triggers/__testUtils__/githubPayloads';
import { sendDelivery } from '../webhooks/__testUtils__/testBackend';
import {
  ALICE,
  as,
  MALLORY,
  OPEN,
  OPS,
  publish,
  SECRET,
  SECRET_REPO,
  startReadsBackend,
} from './__testUtils__/readsBackend';

jest.setTimeout(120_000);

const databases = createTestDatabases();

/** Status of a follow request (then closed). */
function followStatus(baseUrl: string, path: string, user: string) {
  return new Promise<number>((resolve, reject) => {
    const req = http.get(`${baseUrl}${path}`, { headers: as(user) }, res => {
      resolve(res.statusCode!);
      req.destroy();
    });
    req.on('error', reject);
  });
}

/*
 * The catalog hides secret-svc from mallory (a conditional decision of the
 * real permission backend, applied by the real catalog); alice reads both
 * entities. Everything Slipway shows of secret-svc must stay hidden from
 * mallory, wherever she asks.
 */
describe.each(databases.eachSupportedId())(
  'reads follow the catalog on %p',
  databaseId => {
    let started: Awaited<ReturnType<typeof startReadsBackend>>;
    const clients: SseTestClient[] = [];
    const ids: Record<string, string> = {};

    beforeAll(async () => {
      const knex = await databases.init(databaseId);
      started = await startReadsBackend(knex, { denied: new Set([MALLORY]) });
      const { server } = started;
      ids.first = await publish(server, OPEN, 'open before');
      ids.secret = await publish(server, SECRET, 'secret build');
      ids.open = await publish(server, OPEN, 'open build');
      ids.unlinked = await publish(server, undefined, 'nobody owns this');
      // A GitHub run of the secret entity's repository (linked by its slug),
      // and one of a repository no entity names.
      const sha = newSha();
      for (const slug of [SECRET_REPO, 'other/private']) {
        const sent = await sendDelivery(
          server,
          'workflow_run',
          workflowRunPayload({ slug, sha }),
        );
        if (sent.status !== 202) throw new Error(`delivery: ${sent.status}`);
      }
    });

    afterAll(async () => {
      clients.forEach(c => c.close());
      await started?.backend.stop();
    });

    const list = async (user: string, query = '') => {
      // Deliveries are stored asynchronously: wait for both GitHub events.
      for (let i = 0; i < 100; i++) {
        const all = await request(started.server)
          .get(`/api/slipway/events?limit=200`)
          .set(as('service'));
        if (
          all.body.items.filter((e: any) => e.source === 'github.actions')
            .length >= 2
        )
          break;
        await new Promise(r => setTimeout(r, 100));
      }
      const response = await request(started.server)
        .get(`/api/slipway/events?limit=200${query}`)
        .set(as(user));
      expect(response.status).toBe(200);
      return response.body.items as Array<{
        id: string;
        entityRef?: string;
        source: string;
        repo?: string;
      }>;
    };

    it('lists only the events of entities the user may read', async () => {
      const mine = await list(MALLORY);
      expect(mine.some(e => e.entityRef === SECRET)).toBe(false);
      expect(mine.map(e => e.id)).toEqual(
        expect.arrayContaining([ids.open, ids.first, ids.unlinked]),
      );
      // GitHub events of a repository no entity names need slipway.delivery.read.
      expect(mine.some(e => e.repo === 'other/private')).toBe(false);

      const alices = await list(ALICE);
      expect(alices.filter(e => e.entityRef === SECRET)).toHaveLength(2);
      expect(alices.some(e => e.repo === 'other/private')).toBe(false);
      expect((await list(OPS)).some(e => e.repo === 'other/private')).toBe(
        true,
      );
      // Asking for the entity by filter changes nothing.
      expect(await list(MALLORY, `&entityRef=${SECRET}`)).toEqual([]);
    });

    it('answers 404 for a hidden event, as for a missing one', async () => {
      const hidden = await request(started.server)
        .get(`/api/slipway/events/${ids.secret}`)
        .set(as(MALLORY));
      expect(hidden.status).toBe(404);
      expect(hidden.body.error.message).toBe(
        `No OASIS event with id ${ids.secret}`,
      );
      const alice = await request(started.server)
        .get(`/api/slipway/events/${ids.secret}`)
        .set(as(ALICE));
      expect(alice.status).toBe(200);
      expect(alice.body.title).toBe('secret build');
      expect(
        (
          await request(started.server)
            .get(`/api/slipway/events/${ids.open}`)
            .set(as(MALLORY))
        ).status,
      ).toBe(200);
    });

    it('counts only readable events in stats', async () => {
      await list(ALICE);
      const stats = async (user: string) =>
        (
          await request(started.server)
            .get('/api/slipway/events/stats?groupBy=source')
            .set(as(user))
        ).body;
      const alice = await stats(ALICE);
      const mallory = await stats(MALLORY);
      const count = (s: any, key: string) =>
        s.counts.find((c: any) => c.key === key)?.count ?? 0;
      expect(count(alice, 'acme.ci')).toBe(count(mallory, 'acme.ci') + 1);
      // alice sees the secret repo's run; ops also the unlinked one.
      expect(count(alice, 'github.actions')).toBe(1);
      expect(count(mallory, 'github.actions')).toBe(0);
      expect(count(await stats(OPS), 'github.actions')).toBe(2);
      expect(alice.total - mallory.total).toBe(2);
      const byKind = async (user: string) =>
        (
          await request(started.server)
            .get('/api/slipway/events/stats?groupBy=kind')
            .set(as(user))
        ).body;
      expect(count(await byKind(ALICE), 'build')).toBe(
        count(await byKind(MALLORY), 'build') + 1,
      );
    });

    it('streams (replay and live) only readable events', async () => {
      const open = (user: string) => {
        const client = openSse(
          started.baseUrl,
          `/api/slipway/events/stream?lastEventId=${ids.first}`,
          as(user),
        );
        clients.push(client);
        return client;
      };
      const mallory = open(MALLORY);
      const alice = open(ALICE);
      expect(await mallory.status).toBe(200);
      // Replay: alice gets secret, open, unlinked and the secret repo's run.
      await alice.waitFor(4);
      const liveSecret = await publish(started.server, SECRET, 'secret live');
      const liveOpen = await publish(started.server, OPEN, 'open live');
      await alice.waitFor(6);
      const seen = await mallory.waitFor(3);
      await new Promise(r => setTimeout(r, 300));
      expect(mallory.events.map(e => e.id)).toEqual([
        ids.open,
        ids.unlinked,
        liveOpen,
      ]);
      expect(seen.some(e => e.entityRef === SECRET)).toBe(false);
      expect(alice.events.map(e => e.id)).toEqual(
        expect.arrayContaining([ids.secret, liveSecret, liveOpen]),
      );
    });

    it('hides the CI/CD status of a hidden entity', async () => {
      const status = (user: string, ref: string) =>
        request(started.server)
          .get(`/api/slipway/cicd/status?entityRef=${ref}`)
          .set(as(user));
      const hidden = await status(MALLORY, SECRET);
      expect(hidden.status).toBe(404);
      const alice = await status(ALICE, SECRET);
      expect(alice.status).toBe(200);
      expect(alice.body.repo).toBe(SECRET_REPO);
      expect(alice.body.branches).toHaveLength(1);
      expect((await status(MALLORY, OPEN)).status).toBe(200);
      // Services (other plugins) keep access.
      expect((await status('service', SECRET)).status).toBe(200);
    });

    it('hides the app, deployments and logs of a hidden entity', async () => {
      const create = async (name: string, entityRef: string) => {
        const response = await request(started.server)
          .post('/api/slipway/apps')
          .set(as(ALICE))
          .send({ name, repoUrl: 'file:///srv/none', entityRef });
        expect(response.status).toBe(201);
        return response.body.deployment.id as string;
      };
      const secretDeployment = await create('secret-app', SECRET);
      await create('open-app', OPEN);
      const get = (user: string, path: string) =>
        request(started.server).get(`/api/slipway${path}`).set(as(user));

      const names = async (user: string) =>
        (await get(user, '/apps')).body.items.map((a: any) => a.name);
      expect(await names(MALLORY)).toEqual(['open-app']);
      expect((await names(ALICE)).sort()).toEqual(['open-app', 'secret-app']);
      for (const path of [
        '/apps/secret-app',
        '/apps/secret-app/deployments',
        `/deployments/${secretDeployment}`,
        `/deployments/${secretDeployment}/logs`,
      ]) {
        const hidden = await get(MALLORY, path);
        expect([path, hidden.status]).toEqual([path, 404]);
        expect([path, (await get(ALICE, path)).status]).toEqual([path, 200]);
      }
      const hiddenApp = await get(MALLORY, '/apps/secret-app');
      const missing = await get(MALLORY, '/apps/no-such-app');
      expect(hiddenApp.body.error.message).toBe(
        missing.body.error.message.replace('no-such-app', 'secret-app'),
      );
      const follow = `/api/slipway/deployments/${secretDeployment}/logs?follow=true`;
      expect(await followStatus(started.baseUrl, follow, MALLORY)).toBe(404);
      expect(await followStatus(started.baseUrl, follow, ALICE)).toBe(200);
      expect((await get(MALLORY, '/apps/open-app')).status).toBe(200);
    });

    it('shows raw deliveries only with slipway.delivery.read; reprocess has its own permission', async () => {
      const get = (user: string, path: string) =>
        request(started.server).get(`/api/slipway${path}`).set(as(user));
      const refused = await get(MALLORY, '/deliveries');
      expect(refused.status).toBe(403);
      expect(refused.body.error.message).toContain('slipway.delivery.read');
      const granted = await get(OPS, '/deliveries');
      expect(granted.status).toBe(200);
      expect(granted.body.items.length).toBeGreaterThanOrEqual(2);
      const id = granted.body.items[0].id;
      expect((await get(MALLORY, `/deliveries/${id}`)).status).toBe(403);
      expect((await get(ALICE, `/deliveries/${id}`)).status).toBe(403);
      expect((await get(OPS, `/deliveries/${id}`)).status).toBe(200);
      expect((await get('service', '/deliveries')).status).toBe(200);
      // The policy grants slipway.delivery.reprocess to everyone: reading is
      // not needed for it, and reprocessing shows no payload.
      const reprocessed = await request(started.server)
        .post(`/api/slipway/deliveries/${id}/reprocess`)
        .set(as(MALLORY));
      expect(reprocessed.status).toBe(200);
    });
  },
);
