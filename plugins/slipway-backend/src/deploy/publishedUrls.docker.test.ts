import { createTestDatabases, describeWithDocker } from '@slipway/test-utils';
import request from 'supertest';
import {
  auth,
  cleanupDocker,
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

describeWithDocker(
  'published URL after the engine restarts a container',
  () => {
    const repo = new TestRepo();

    afterAll(async () => {
      await cleanupDocker();
      repo.remove();
    });

    it('follows the container to its new host port', async () => {
      const name = `${RUN}-ports`;
      repo.commit({ body: 'still here' });
      const backend = await startBackend(
        await databases.init('SQLITE_3'),
        testConfig({ pollIntervalMs: 500 }),
      );
      try {
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
        expect(running.status).toBe('running');
        expect(await fetchText(running.url)).toBe('still here');

        // What a restart of the engine does to a container that restarts
        // `unless-stopped`: it runs again, on another ephemeral host port.
        const container = docker.getContainer(running.containerId);
        await container.stop({ t: 1 });
        await container.start();
        const info = await container.inspect();
        const port = info.NetworkSettings.Ports['8080/tcp']?.[0]?.HostPort;
        expect(`http://127.0.0.1:${port}`).not.toBe(running.url);

        let app: any;
        const deadline = Date.now() + 20_000;
        while (Date.now() < deadline) {
          app = (await request(backend.server).get(`/api/slipway/apps/${name}`))
            .body;
          if (app.url === `http://127.0.0.1:${port}`) break;
          await new Promise(r => setTimeout(r, 200));
        }
        expect(app.url).toBe(`http://127.0.0.1:${port}`);
        expect(await fetchText(app.url)).toBe('still here');
        const logs = await request(backend.server)
          .get(`/api/slipway/deployments/${running.id}/logs`)
          .set(auth);
        expect(
          logs.body.items.some((l: { line: string }) =>
            l.line.includes(`now published at ${app.url}`),
          ),
        ).toBe(true);
      } finally {
        await backend.stop();
      }
    });
  },
);
