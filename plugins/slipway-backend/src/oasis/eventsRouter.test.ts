import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { createTestDatabases } from '@slipway/test-utils';
import request from 'supertest';
import {
  deliveryId,
  repoEntity,
  sendDelivery,
  startWatchBackend,
} from '../webhooks/__testUtils__/testBackend';

jest.setTimeout(120_000);

const databases = createTestDatabases();

const body = {
  module: 'AGENT',
  source: 'agents.heartbeat',
  kind: 'heartbeat',
  status: 'info',
  title: 'OPS-AGENT-0007 alive',
  repo: 'acme/orders-api',
  entityRef: 'component:default/orders-api',
  meta: { host: 'runner-1' },
};

describe('/events', () => {
  it.each(databases.eachSupportedId())(
    'publishes with permission, validates, lists with filters and cursors, counts on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      // The events' entity is in the catalog: readers see them.
      const { server } = await startWatchBackend({
        knex,
        entities: [repoEntity('orders-api', 'acme/orders-api')],
      });

      // User and service credentials may publish.
      const created = await request(server)
        .post('/api/slipway/events')
        .set('authorization', mockCredentials.user.header())
        .send(body);
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        ...body,
        vtid: 'OPS-AGENT-0007',
        layer: 'AGENT',
      });
      const viaService = await request(server)
        .post('/api/slipway/events')
        .set('authorization', mockCredentials.service.header())
        .send({
          ...body,
          status: 'failure',
          vtid: 'DEV-CICDL-0001',
          layer: 'CICDL',
        });
      expect(viaService.status).toBe(201);

      // Validation names the field.
      const invalid = await request(server)
        .post('/api/slipway/events')
        .send({ ...body, status: 'great' });
      expect(invalid.status).toBe(400);
      expect(invalid.body.error.message).toMatch(/status must be one of/);
      const unknown = await request(server)
        .post('/api/slipway/events')
        .send({ ...body, id: '5' });
      expect(unknown.status).toBe(400);
      const missing = await request(server)
        .post('/api/slipway/events')
        .send({ ...body, title: '' });
      expect(missing.status).toBe(400);
      const unauthenticated = await request(server)
        .post('/api/slipway/events')
        .set('authorization', mockCredentials.none.header())
        .send(body);
      expect(unauthenticated.status).toBe(401);

      for (let i = 0; i < 6; i++) {
        await request(server)
          .post('/api/slipway/events')
          .send({
            ...body,
            title: `step ${i}`,
            status: 'success',
            kind: 'step',
          });
      }
      // Keyset pages, newest first, no overlap.
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await request(server)
          .get('/api/slipway/events')
          .query({ kind: 'step', limit: 4, ...(cursor ? { cursor } : {}) });
        expect(page.status).toBe(200);
        seen.push(...page.body.items.map((e: any) => e.title));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual([5, 4, 3, 2, 1, 0].map(i => `step ${i}`));

      const filtered = await request(server)
        .get('/api/slipway/events')
        .query({
          vtid: 'DEV-CICDL-0001',
          source: 'agents.heartbeat',
          status: 'failure',
          entityRef: 'component:default/orders-api',
          repo: 'acme/orders-api',
          since: new Date(Date.now() - 60_000).toISOString(),
        });
      expect(filtered.body.items).toHaveLength(1);
      expect(
        (
          await request(server)
            .get('/api/slipway/events')
            .query({ since: '2999-01-01T00:00:00Z' })
        ).body.items,
      ).toEqual([]);
      for (const bad of [
        { limit: 0 },
        { limit: 501 },
        { status: 'nope' },
        { since: 'yesterday' },
        { cursor: 'zzz' },
      ]) {
        expect(
          (await request(server).get('/api/slipway/events').query(bad)).status,
        ).toBe(400);
      }

      const one = await request(server).get(
        `/api/slipway/events/${created.body.id}`,
      );
      expect(one.body).toEqual(created.body);
      expect(
        (await request(server).get('/api/slipway/events/99999999')).status,
      ).toBe(404);
      expect(
        (await request(server).get('/api/slipway/events/abc')).status,
      ).toBe(400);

      const stats = await request(server)
        .get('/api/slipway/events/stats')
        .query({ groupBy: 'status' });
      expect(stats.body).toMatchObject({
        groupBy: 'status',
        total: 8,
        counts: [
          { key: 'success', count: 6 },
          { key: 'failure', count: 1 },
          { key: 'info', count: 1 },
        ],
      });
      const byVtid = await request(server)
        .get('/api/slipway/events/stats')
        .query({ groupBy: 'vtid', kind: 'heartbeat' });
      expect(byVtid.body.counts).toEqual([
        { key: 'DEV-CICDL-0001', count: 1 },
        { key: 'OPS-AGENT-0007', count: 1 },
      ]);
      expect(
        (
          await request(server)
            .get('/api/slipway/events/stats')
            .query({ groupBy: 'title' })
        ).status,
      ).toBe(400);
    },
  );

  it('refuses to publish without the slipway.event.create permission', async () => {
    const knex = await databases.init('SQLITE_3');
    const { server } = await startWatchBackend({
      knex,
      extraFeatures: [
        mockServices.permissions.factory({ result: AuthorizeResult.DENY }),
      ],
    });
    const response = await request(server)
      .post('/api/slipway/events')
      .send(body);
    expect(response.status).toBe(403);
    expect(response.body.error.message).toMatch(/slipway.event.create/);
    expect(Number((await knex('oasis_events').count({ c: '*' }))[0].c)).toBe(0);
  });
});

describe('/deliveries and /cicd/status', () => {
  const examples: Array<{
    name: string;
    examples: any[];
  }> = require('@octokit/webhooks-examples/api.github.com/index.json');
  const example = (name: string, i = 0) =>
    examples.find(e => e.name === name)!.examples[i];

  it.each(databases.eachSupportedId())(
    'lists deliveries, reprocesses idempotently, and builds the CI/CD status with the hook state on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const { server } = await startWatchBackend({
        knex,
        entities: [repoEntity('octo-repo', 'octo-org/octo-repo')],
      });

      // Nothing known yet.
      let status = await request(server)
        .get('/api/slipway/cicd/status')
        .query({ entityRef: 'component:default/octo-repo' });
      expect(status.status).toBe(200);
      expect(status.body).toMatchObject({
        repo: 'octo-org/octo-repo',
        branches: [],
        webhook: { connected: false, lastDeliveryAt: null },
      });

      // An organization hook's ping marks the repository's owner as connected.
      const orgPing = example('ping', 3);
      expect(
        (
          await sendDelivery(server, 'ping', {
            ...orgPing,
            organization: { ...orgPing.organization, login: 'octo-org' },
          })
        ).body.result,
      ).toBe('ignored');
      status = await request(server)
        .get('/api/slipway/cicd/status')
        .query({ entityRef: 'component:default/octo-repo' });
      expect(status.body.webhook.connected).toBe(true);

      // Runs on two branches; the default branch comes first.
      const sample = example('workflow_run', 1);
      const base = {
        ...sample,
        repository: { ...sample.repository, default_branch: 'main' },
      };
      const run = (
        id: number,
        number: number,
        branch: string,
        st: string,
        conclusion: string | null,
      ) => ({
        ...base,
        action: st === 'completed' ? 'completed' : 'requested',
        workflow_run: {
          ...base.workflow_run,
          id,
          run_number: number,
          head_branch: branch,
          status: st,
          conclusion,
          updated_at: new Date(Date.now() + number * 1000).toISOString(),
        },
      });
      const ids: string[] = [];
      for (const payload of [
        run(1, 1, 'feature/x', 'completed', 'failure'),
        run(2, 2, 'main', 'queued', null),
        run(2, 2, 'main', 'completed', 'success'),
        run(3, 3, 'feature/x', 'in_progress', null),
      ]) {
        const id = deliveryId();
        ids.push(id);
        expect(
          (await sendDelivery(server, 'workflow_run', payload, { id })).status,
        ).toBe(202);
      }
      status = await request(server)
        .get('/api/slipway/cicd/status')
        .query({ entityRef: 'component:default/octo-repo' });
      expect(status.body.defaultBranch).toBe('main');
      const branchNames = status.body.branches.map((b: any) => b.branch);
      // feature/x ran last, but the default branch leads.
      expect(branchNames).toEqual(['main', 'feature/x']);
      const main = status.body.branches.find((b: any) => b.branch === 'main');
      expect(main.workflows).toEqual([
        expect.objectContaining({
          name: base.workflow.name,
          runId: 2,
          runNumber: 2,
          status: 'completed',
          conclusion: 'success',
          headSha: base.workflow_run.head_sha,
          url: base.workflow_run.html_url,
        }),
      ]);
      const feature = status.body.branches.find(
        (b: any) => b.branch === 'feature/x',
      );
      expect(feature.workflows).toEqual([
        expect.objectContaining({
          runId: 3,
          status: 'in_progress',
          conclusion: null,
        }),
      ]);
      expect(status.body.webhook.lastDeliveryAt).not.toBeNull();
      expect(status.body.deployment).toBeNull();

      // Once the deploy engine serves the entity's app, the status shows it.
      await knex('apps').insert({
        name: 'octo-repo',
        repo_url: 'https://github.com/octo-org/octo-repo',
        port: 8080,
        entity_ref: 'component:default/octo-repo',
      });
      const [deployment] = await knex('deployments')
        .insert({
          app: 'octo-repo',
          status: 'running',
          commit_sha: 'abc123',
          url: 'http://127.0.0.1:18080',
          config: '{}',
        })
        .returning('id');
      await knex('apps')
        .where('name', 'octo-repo')
        .update({ current_deployment_id: deployment.id ?? deployment });
      status = await request(server)
        .get('/api/slipway/cicd/status')
        .query({ entityRef: 'component:default/octo-repo' });
      expect(status.body.deployment).toMatchObject({
        app: 'octo-repo',
        status: 'running',
        commitSha: 'abc123',
        url: 'http://127.0.0.1:18080',
      });
      expect(
        (await request(server).get('/api/slipway/cicd/status')).status,
      ).toBe(400);

      // Deliveries, newest first, with cursor and result filter.
      const list = await request(server)
        .get('/api/slipway/deliveries')
        .query({ limit: 2 });
      expect(list.body.items.map((d: any) => d.id)).toEqual([ids[3], ids[2]]);
      expect(list.body.nextCursor).toBeDefined();
      const ignored = await request(server)
        .get('/api/slipway/deliveries')
        .query({ result: 'ignored' });
      expect(ignored.body.items.map((d: any) => d.event)).toEqual(['ping']);
      const full = await request(server).get(
        `/api/slipway/deliveries/${ids[0]}`,
      );
      expect(full.body.payload.workflow_run.id).toBe(1);

      // Reprocess: same mapping, nothing changes; twice, still nothing.
      const before = await knex('oasis_events').orderBy('id').pluck('id');
      const first = await request(server).post(
        `/api/slipway/deliveries/${ids[0]}/reprocess`,
      );
      expect(first.status).toBe(200);
      expect(first.body.changed).toBe(false);
      expect(await knex('oasis_events').orderBy('id').pluck('id')).toEqual(
        before,
      );

      // After a catalog-visible change (here: the row lost its entityRef),
      // reprocessing replaces the event once, then is idempotent again.
      await knex('oasis_events')
        .where('id', first.body.events[0].id)
        .update({ entity_ref: null });
      const fixed = await request(server).post(
        `/api/slipway/deliveries/${ids[0]}/reprocess`,
      );
      expect(fixed.body.changed).toBe(true);
      expect(fixed.body.events[0].entityRef).toBe(
        'component:default/octo-repo',
      );
      const again = await request(server).post(
        `/api/slipway/deliveries/${ids[0]}/reprocess`,
      );
      expect(again.body.changed).toBe(false);
      expect(Number((await knex('oasis_events').count({ c: '*' }))[0].c)).toBe(
        before.length,
      );
      expect(
        (await request(server).post('/api/slipway/deliveries/nope/reprocess'))
          .status,
      ).toBe(404);
    },
  );
});
