import { createTestDatabases, describeWithDocker } from '@slipway/test-utils';
import request from 'supertest';
import {
  auth,
  cleanupDocker,
  containersOf,
  docker,
  fetchText,
  imageTagsOf,
  RUN,
  startBackend,
  startProbe,
  testConfig,
  TestRepo,
  waitForDeployment,
} from './__testUtils__/testApps';

jest.setTimeout(300_000);

const databases = createTestDatabases();
const SECRET = 'sup3r-secret-value-42';

describeWithDocker('deploy engine with a real Docker engine', () => {
  const repos: TestRepo[] = [];

  afterAll(async () => {
    await cleanupDocker();
    repos.forEach(r => r.remove());
  });

  it.each(databases.eachSupportedId())(
    'deploys, switches with zero downtime, keeps the old version on a failed health check, rolls back and prunes images on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const backend = await startBackend(knex, testConfig({ keepImages: 2 }));
      const { server } = backend;
      const repo = new TestRepo();
      repos.push(repo);
      const v1 = repo.commit({ body: 'v1' });
      const name = `${RUN}-${databaseId === 'SQLITE_3' ? 'lite' : 'pg'}`;

      try {
        // Create → first deployment queued → running, URL answers.
        const created = await request(server)
          .post('/api/slipway/apps')
          .set(auth)
          .send({
            name,
            repoUrl: repo.url,
            ref: 'main',
            port: 8080,
            env: { GREETING: 'hello' },
            secretEnv: { API_TOKEN: SECRET },
            resources: { memoryMb: 64, cpus: 0.5 },
            healthCheck: { path: '/healthz', timeoutSeconds: 30 },
            entityRef: 'component:default/demo',
          });
        expect(created.status).toBe(201);
        expect(created.body.deployment.status).toBe('pending');
        expect(created.body.app.secretEnvKeys).toEqual(['API_TOKEN']);
        expect(JSON.stringify(created.body)).not.toContain(SECRET);
        const first = await waitForDeployment(
          server,
          created.body.deployment.id,
          s => ['running', 'failed'].includes(s),
        );
        expect(first).toMatchObject({
          status: 'running',
          commitSha: v1,
          imageTag: `slipway-${name}:${first.id}`,
        });
        expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

        const app1 = await request(server).get(`/api/slipway/apps/${name}`);
        expect(app1.body.currentDeployment.id).toBe(first.id);
        expect(app1.body.url).toBe(first.url);
        expect(JSON.stringify(app1.body)).not.toContain(SECRET);
        expect(await fetchText(first.url)).toBe('v1');

        // Names, labels, limits, init process, publish address.
        const info = await docker.getContainer(first.containerId).inspect();
        expect(info.Name).toBe(`/${name}-${first.id}`);
        expect(info.Config.Labels).toMatchObject({
          'traefik.enable': 'true',
          [`traefik.http.routers.${name}.rule`]: `Host(\`${name}.localhost\`)`,
          [`traefik.http.services.${name}.loadbalancer.server.port`]: '8080',
          'slipway.app': name,
          'slipway.deployment': first.id,
        });
        expect(info.HostConfig.Init).toBe(true);
        expect(info.HostConfig.Memory).toBe(64 * 1024 * 1024);
        expect(info.HostConfig.NanoCpus).toBe(5e8);
        expect(info.HostConfig.PortBindings['8080/tcp'][0].HostIp).toBe(
          '127.0.0.1',
        );
        expect(info.Config.Env).toEqual(
          expect.arrayContaining(['GREETING=hello', `API_TOKEN=${SECRET}`]),
        );
        expect(info.Config.Healthcheck?.Test?.join(' ')).toContain('/healthz');
        expect(info.State.Health?.Status).toBe('healthy');

        // Stored build output, never the secret.
        const logs = await request(server)
          .get(`/api/slipway/deployments/${first.id}/logs`)
          .set(auth);
        expect(logs.status).toBe(200);
        const lines: string[] = logs.body.items.map((l: any) => l.line);
        expect(lines.some(l => /Step \d+\/\d+ : FROM scratch/.test(l))).toBe(
          true,
        );
        expect(lines.some(l => l.includes(`Checked out ${v1}`))).toBe(true);
        expect(JSON.stringify(logs.body)).not.toContain(SECRET);

        // Redeploy v2 under a probe: zero failed requests, always a healthy
        // labelled container in the engine.
        const v2 = repo.commit({ body: 'v2' });
        let probe = startProbe(server, name);
        const queued2 = await request(server)
          .post(`/api/slipway/apps/${name}/deployments`)
          .set(auth)
          .send({});
        expect(queued2.status).toBe(202);
        const second = await waitForDeployment(server, queued2.body.id, s =>
          ['running', 'failed'].includes(s),
        );
        expect(second).toMatchObject({ status: 'running', commitSha: v2 });
        // Keep probing through the drain until the old container is gone.
        const drainDeadline = Date.now() + 20_000;
        while (Date.now() < drainDeadline) {
          const containers = await containersOf(name);
          if (containers.length === 1) break;
          await new Promise(r => setTimeout(r, 100));
        }
        let seen = await probe.stop();
        expect(seen.failures).toEqual([]);
        expect(seen.requests).toBeGreaterThan(10);
        expect(seen.dockerGaps).toBe(0);
        expect(seen.bodies).toEqual(new Set(['v1', 'v2']));
        expect((await containersOf(name)).map(c => c.Names[0])).toEqual([
          `/${name}-${second.id}`,
        ]);
        const firstAfter = await request(server).get(
          `/api/slipway/deployments/${first.id}`,
        );
        expect(firstAfter.body.status).toBe('superseded');
        expect(await fetchText(second.url)).toBe('v2');

        // A version whose health check fails: failed, old one keeps serving.
        repo.commit({ body: 'v3-broken', healthy: false });
        probe = startProbe(server, name);
        const queued3 = await request(server)
          .post(`/api/slipway/apps/${name}/deployments`)
          .set(auth)
          .send({ ref: 'main' });
        const third = await waitForDeployment(server, queued3.body.id, s =>
          ['running', 'failed'].includes(s),
        );
        seen = await probe.stop();
        expect(third.status).toBe('failed');
        expect(third.error).toMatch(/^health failed: /);
        expect(seen.failures).toEqual([]);
        expect(seen.dockerGaps).toBe(0);
        expect(seen.bodies).toEqual(new Set(['v2']));
        const app3 = await request(server).get(`/api/slipway/apps/${name}`);
        expect(app3.body.currentDeployment.id).toBe(second.id);
        expect(await fetchText(app3.body.url)).toBe('v2');
        expect((await containersOf(name)).length).toBe(1);
        expect(await imageTagsOf(name)).not.toContain(
          `slipway-${name}:${third.id}`,
        );

        // Rollback to v1: no rebuild, v1's configuration, serving again.
        const rolledBack = await request(server)
          .post(`/api/slipway/apps/${name}/rollback`)
          .set(auth)
          .send({ toDeploymentId: first.id });
        expect(rolledBack.status).toBe(202);
        expect(rolledBack.body.rollbackOf).toBe(first.id);
        const fourth = await waitForDeployment(server, rolledBack.body.id, s =>
          ['running', 'failed'].includes(s),
        );
        expect(fourth).toMatchObject({
          status: 'running',
          imageTag: first.imageTag,
          commitSha: v1,
        });
        expect(await fetchText(fourth.url)).toBe('v1');
        const rollbackLogs = await request(server)
          .get(`/api/slipway/deployments/${fourth.id}/logs`)
          .set(auth);
        const rollbackLines: string[] = rollbackLogs.body.items.map(
          (l: any) => l.line,
        );
        expect(rollbackLines.some(l => l.includes('no rebuild'))).toBe(true);
        expect(rollbackLines.some(l => /^Step \d/.test(l))).toBe(false);

        // keepImages 2: after two more builds only their images remain (the
        // rollback's v1 image is released once it stops serving).
        const later: any[] = [];
        for (let i = 0; i < 2; i++) {
          const q = await request(server)
            .post(`/api/slipway/apps/${name}/deployments`)
            .set(auth)
            .send({ ref: v2 });
          const d = await waitForDeployment(server, q.body.id, s =>
            ['running', 'failed'].includes(s),
          );
          expect(d.status).toBe('running');
          later.push(d);
        }
        // Pruning runs after the drain of the previous container.
        const expected = later.map(d => d.imageTag).reverse();
        let tags: string[] = [];
        for (let i = 0; i < 100; i++) {
          tags = await imageTagsOf(name);
          if (tags.length === 2) break;
          await new Promise(r => setTimeout(r, 200));
        }
        expect(tags.sort()).toEqual(expected.sort());
        const tooOld = await request(server)
          .post(`/api/slipway/apps/${name}/rollback`)
          .set(auth)
          .send({ toDeploymentId: second.id });
        expect(tooOld.status).toBe(409);
        expect(tooOld.body.error.message).toContain('keepImages');

        // Every status change reached the OASIS events table.
        const events = await knex('oasis_events')
          .where({ source: 'slipway.deploy', kind: 'deployment' })
          .select('status', 'meta', 'entity_ref', 'module');
        const mine = events.filter(e => JSON.parse(e.meta).app === name);
        expect(new Set(mine.map(e => e.status))).toEqual(
          new Set(['queued', 'in_progress', 'success', 'failure', 'info']),
        );
        expect(
          mine.every(
            e =>
              e.entity_ref === 'component:default/demo' &&
              e.module === 'DEPLOY',
          ),
        ).toBe(true);

        // Delete removes the containers.
        const deleted = await request(server)
          .delete(`/api/slipway/apps/${name}`)
          .set(auth);
        expect(deleted.status).toBe(204);
        expect(await containersOf(name)).toEqual([]);
        expect(
          (await request(server).get(`/api/slipway/apps/${name}`)).status,
        ).toBe(404);
      } finally {
        await backend.stop();
      }
    },
  );
});
