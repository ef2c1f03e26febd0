import { createTestDatabases, describeWithDocker } from '@slipway/test-utils';
import request from 'supertest';
import {
  auth,
  cleanupDocker,
  containersOf,
  docker,
  fetchText,
  RUN,
  startBackend,
  testConfig,
  TestRepo,
  waitForDeployment,
} from './__testUtils__/testApps';

jest.setTimeout(300_000);

const databases = createTestDatabases();

const containers = {
  pidsLimit: 64,
  defaultMemoryMb: 96,
  maxMemoryMb: 256,
  defaultCpus: 0.5,
  maxCpus: 1,
  logMaxSize: '2m',
  logMaxFiles: 2,
  apps: { [`${RUN}-big`]: { maxMemoryMb: 1024 } },
};

describeWithDocker(
  'app containers: safe defaults, own network, no image routing labels',
  () => {
    const repo = new TestRepo();
    const name = `${RUN}-safe`;
    let backend: Awaited<ReturnType<typeof startBackend>>;
    let first: any;

    beforeAll(async () => {
      backend = await startBackend(
        await databases.init('SQLITE_3'),
        testConfig({ containers }),
      );
    });

    afterAll(async () => {
      await backend?.stop();
      await cleanupDocker();
      repo.remove();
    });

    it('runs the container with no-new-privileges, PID, memory, CPU and log limits on the app network', async () => {
      repo.commit({ body: 'v1' });
      const created = await request(backend.server)
        .post('/api/slipway/apps')
        .set(auth)
        .send({ name, repoUrl: repo.url, ref: 'main', port: 8080 });
      expect(created.status).toBe(201);
      const running = await waitForDeployment(
        backend.server,
        created.body.deployment.id,
        s => ['running', 'failed'].includes(s),
      );
      expect(running.error ?? null).toBeNull();
      first = running;

      const info = await docker.getContainer(running.containerId).inspect();
      const host = info.HostConfig;
      expect(host.SecurityOpt).toContain('no-new-privileges:true');
      expect(host.PidsLimit).toBe(64);
      expect(host.Memory).toBe(96 * 1024 * 1024);
      expect(host.NanoCpus).toBe(0.5e9);
      expect(host.LogConfig).toEqual({
        Type: 'json-file',
        Config: { 'max-size': '2m', 'max-file': '2' },
      });
      const network = `slipway-${name}`;
      expect(host.NetworkMode).toBe(network);
      expect(Object.keys(info.NetworkSettings.Networks)).toEqual([network]);
      expect(info.Config.Labels['traefik.docker.network']).toBe(network);
      expect(info.Config.Labels['slipway.installation']).toBe('default');
      const net = await docker.getNetwork(network).inspect();
      expect(net.Labels).toMatchObject({
        'slipway.installation': 'default',
        'slipway.app': name,
      });
      // Still published on publishHost for the health check and the URL.
      expect(running.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await fetchText(running.url)).toBe('v1');
    });

    it('fails an image with its own traefik.* labels before anything is switched', async () => {
      const before = (
        await request(backend.server).get(`/api/slipway/apps/${name}`)
      ).body;
      repo.commit({
        body: 'v2 hostile',
        dockerfileExtra:
          'LABEL traefik.http.routers.x.rule="Host(`victim.example.com`)"',
      });
      const queued = await request(backend.server)
        .post(`/api/slipway/apps/${name}/deployments`)
        .set(auth)
        .send({ ref: 'main' });
      expect(queued.status).toBe(202);
      const failed = await waitForDeployment(
        backend.server,
        queued.body.id,
        s => ['running', 'failed'].includes(s),
      );
      expect(failed.status).toBe('failed');
      expect(failed.error).toMatch(
        /carries its own Traefik labels \(traefik\.http\.routers\.x\.rule\)/,
      );
      // Nothing was started for it; the old one keeps serving.
      expect(failed.containerId ?? null).toBeNull();
      const after = (
        await request(backend.server).get(`/api/slipway/apps/${name}`)
      ).body;
      expect(after.currentDeployment.id).toBe(before.currentDeployment.id);
      expect(await fetchText(after.url)).toBe('v1');
    });

    it('fails a rollback to an image that carries traefik.* labels, the serving one stays', async () => {
      repo.commit({ body: 'v3' });
      const queued = await request(backend.server)
        .post(`/api/slipway/apps/${name}/deployments`)
        .set(auth)
        .send({ ref: 'main' });
      const v3 = await waitForDeployment(backend.server, queued.body.id, s =>
        ['running', 'failed'].includes(s),
      );
      expect(v3.status).toBe('running');
      // The rollback target's image now carries a router of its own (as an
      // image built before this check could).
      // Bounded wait for the switch to finish (v1's container stopped).
      for (let i = 0; i < 100 && (await containersOf(name)).length > 1; i++) {
        await new Promise(r => setTimeout(r, 200));
      }
      const [repository, tag] = first.imageTag.split(':');
      await docker.getContainer(v3.containerId).commit({
        repo: repository,
        tag,
        // Pausing the serving container would fail its health check.
        pause: false,
        changes: [
          'LABEL traefik.http.routers.y.rule=Host(`victim.example.com`)',
        ],
      });
      const rollback = await request(backend.server)
        .post(`/api/slipway/apps/${name}/rollback`)
        .set(auth)
        .send({ toDeploymentId: first.id });
      expect(rollback.status).toBe(202);
      const failed = await waitForDeployment(
        backend.server,
        rollback.body.id,
        s => ['running', 'failed'].includes(s),
      );
      expect(failed.status).toBe('failed');
      expect(failed.error).toMatch(/traefik\.http\.routers\.y\.rule/);
      const app = (
        await request(backend.server).get(`/api/slipway/apps/${name}`)
      ).body;
      expect(app.currentDeployment.id).toBe(v3.id);
      expect(await fetchText(app.url)).toBe('v3');
    });

    it('refuses resources over the maximum with 400 naming the setting; an admin may loosen it per app', async () => {
      const over = await request(backend.server)
        .post('/api/slipway/apps')
        .set(auth)
        .send({
          name: `${RUN}-greedy`,
          repoUrl: repo.url,
          port: 8080,
          resources: { memoryMb: 512 },
        });
      expect(over.status).toBe(400);
      expect(over.body.error.message).toMatch(
        /slipway\.deploy\.containers\.maxMemoryMb/,
      );
      const cpus = await request(backend.server)
        .patch(`/api/slipway/apps/${name}`)
        .set(auth)
        .send({ resources: { cpus: 2 } });
      expect(cpus.status).toBe(400);
      expect(cpus.body.error.message).toMatch(
        /slipway\.deploy\.containers\.maxCpus/,
      );
      const bigOver = await request(backend.server)
        .post('/api/slipway/apps')
        .set(auth)
        .send({
          name: `${RUN}-big`,
          repoUrl: repo.url,
          port: 8080,
          resources: { memoryMb: 2048 },
        });
      expect(bigOver.status).toBe(400);
      expect(bigOver.body.error.message).toMatch(
        new RegExp(
          `slipway\\.deploy\\.containers\\.apps\\.${RUN}-big\\.maxMemoryMb`,
        ),
      );
      const big = await request(backend.server)
        .post('/api/slipway/apps')
        .set(auth)
        .send({
          name: `${RUN}-big`,
          repoUrl: repo.url,
          port: 8080,
          resources: { memoryMb: 512 },
        });
      expect(big.status).toBe(201);
      await request(backend.server)
        .delete(`/api/slipway/apps/${RUN}-big`)
        .set(auth);
    });

    it('removes the app network with the app', async () => {
      const deleted = await request(backend.server)
        .delete(`/api/slipway/apps/${name}`)
        .set(auth);
      expect(deleted.status).toBe(204);
      await expect(
        docker.getNetwork(`slipway-${name}`).inspect(),
      ).rejects.toMatchObject({ statusCode: 404 });
    });
  },
);
