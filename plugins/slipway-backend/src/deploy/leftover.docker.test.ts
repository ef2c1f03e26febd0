import { createTestDatabases, describeWithDocker } from '@slipway/test-utils';
import request from 'supertest';
import {
  auth,
  cleanupDocker,
  containersOf,
  fetchText,
  RUN,
  startBackend,
  testConfig,
  TestRepo,
  waitForDeployment,
} from './__testUtils__/testApps';

jest.setTimeout(300_000);

const databases = createTestDatabases();

describeWithDocker('containers left over from an earlier database', () => {
  const repo = new TestRepo();

  afterAll(async () => {
    await cleanupDocker();
    repo.remove();
  });

  it('deploys when a container with the same name survives a restart on a fresh database', async () => {
    // In-memory SQLite forgets everything on restart and its deployment ids
    // start at 1 again, while the containers of the previous run remain.
    const name = `${RUN}-leftover`;
    repo.commit({ body: 'before restart' });
    const app = {
      name,
      repoUrl: repo.url,
      ref: 'main',
      port: 8080,
      healthCheck: { path: '/healthz', timeoutSeconds: 30 },
    };

    const before = await startBackend(
      await databases.init('SQLITE_3'),
      testConfig(),
    );
    const first = await request(before.server)
      .post('/api/slipway/apps')
      .set(auth)
      .send(app);
    expect(first.status).toBe(201);
    const running = await waitForDeployment(
      before.server,
      first.body.deployment.id,
      s => ['running', 'failed'].includes(s),
    );
    expect(running.status).toBe('running');
    await before.stop();

    repo.commit({ body: 'after restart' });
    const after = await startBackend(
      await databases.init('SQLITE_3'),
      testConfig(),
    );
    try {
      const second = await request(after.server)
        .post('/api/slipway/apps')
        .set(auth)
        .send(app);
      expect(second.status).toBe(201);
      // Same id as before, so the same container name.
      expect(second.body.deployment.id).toBe(first.body.deployment.id);
      const redeployed = await waitForDeployment(
        after.server,
        second.body.deployment.id,
        s => ['running', 'failed'].includes(s),
      );
      expect(redeployed.error ?? null).toBeNull();
      expect(redeployed.status).toBe('running');
      expect(await fetchText(redeployed.url)).toBe('after restart');
      // The leftover was replaced, not kept beside the new one.
      expect(await containersOf(name)).toHaveLength(1);
    } finally {
      await after.stop();
    }
  });
});
