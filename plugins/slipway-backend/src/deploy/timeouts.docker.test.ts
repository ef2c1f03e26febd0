import { createTestDatabases, describeWithDocker } from '@slipway/test-utils';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import {
  auth,
  cleanupDocker,
  RUN,
  startBackend,
  testConfig,
  TestRepo,
  waitForDeployment,
} from './__testUtils__/testApps';

jest.setTimeout(300_000);

const databases = createTestDatabases();

/** A TCP server on 127.0.0.1 that accepts and never answers. */
async function hungServer() {
  const sockets = new Set<net.Socket>();
  const server = net.createServer(socket => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    accepted: () => sockets.size,
    close: async () => {
      sockets.forEach(s => s.destroy());
      await new Promise(resolve => server.close(resolve));
    },
  };
}

describeWithDocker('timeouts', () => {
  const repo = new TestRepo();
  let hung: Awaited<ReturnType<typeof hungServer>>;
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-timeouts-'));

  beforeAll(async () => {
    hung = await hungServer();
  });

  afterAll(async () => {
    await hung?.close();
    await cleanupDocker();
    repo.remove();
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  it('fails a deployment whose git remote never answers, and frees its build slot for the next one', async () => {
    const config = testConfig({
      maxConcurrentBuilds: 1,
      workDir,
      // The limit also applies to the healthy clone that runs next: 2 s was
      // too little for a local clone on a machine at load 19 (a soak run
      // failed that one with the same timeout), 10 s is not.
      timeouts: { cloneSeconds: 10 },
    });
    config.slipway.allowedRepositories = [
      'file://',
      `http://127.0.0.1:${hung.port}/`,
    ];
    const backend = await startBackend(
      await databases.init('SQLITE_3'),
      config,
    );
    try {
      const stuck = await request(backend.server)
        .post('/api/slipway/apps')
        .set(auth)
        .send({
          name: `${RUN}-hung`,
          repoUrl: `http://127.0.0.1:${hung.port}/owner/repo.git`,
          port: 8080,
        });
      expect(stuck.status).toBe(201);
      // Queued while the hung one holds the only build slot.
      repo.commit({ body: 'next' });
      const next = await request(backend.server)
        .post('/api/slipway/apps')
        .set(auth)
        .send({
          name: `${RUN}-next`,
          repoUrl: repo.url,
          ref: 'main',
          port: 8080,
        });
      expect(next.status).toBe(201);

      const failed = await waitForDeployment(
        backend.server,
        stuck.body.deployment.id,
        s => ['running', 'failed'].includes(s),
        60_000,
      );
      expect(hung.accepted()).toBeGreaterThan(0);
      expect(failed.status).toBe('failed');
      expect(failed.error).toMatch(
        /source failed: fetching the source did not finish within 10 s \(slipway\.deploy\.timeouts\.cloneSeconds\)/,
      );
      const ran = await waitForDeployment(
        backend.server,
        next.body.deployment.id,
        s => ['running', 'failed'].includes(s),
      );
      // With the error, so a failure says why the next one failed.
      expect({ status: ran.status, error: ran.error ?? null }).toEqual({
        status: 'running',
        error: null,
      });
      // The hung checkout was removed.
      expect(
        fs.readdirSync(workDir).filter(d => d.startsWith('slipway-src-')),
      ).toEqual([]);
    } finally {
      await backend.stop();
    }
  });

  it('fails a deployment when a Docker API call gets no answer', async () => {
    const config = testConfig({
      docker: { host: '127.0.0.1', port: hung.port },
      timeouts: { dockerApiSeconds: 1 },
    });
    const backend = await startBackend(
      await databases.init('SQLITE_3'),
      config,
    );
    try {
      repo.commit({ body: 'never' });
      const created = await request(backend.server)
        .post('/api/slipway/apps')
        .set(auth)
        .send({ name: `${RUN}-noengine`, repoUrl: repo.url, port: 8080 });
      expect(created.status).toBe(201);
      const failed = await waitForDeployment(
        backend.server,
        created.body.deployment.id,
        s => ['running', 'failed'].includes(s),
        30_000,
      );
      expect(failed.status).toBe('failed');
      expect(failed.error).toMatch(
        /did not answer ping within 1 s \(slipway\.deploy\.timeouts\.dockerApiSeconds\)/,
      );
      // Deleting the app asks the engine too: a clear error within the
      // bound, and the app stays.
      const started = Date.now();
      const deleted = await request(backend.server)
        .delete(`/api/slipway/apps/${RUN}-noengine`)
        .set(auth);
      expect(deleted.status).toBeGreaterThanOrEqual(500);
      expect(deleted.body.error.message).toMatch(
        /did not answer listing the containers of app .* within 1 s \(slipway\.deploy\.timeouts\.dockerApiSeconds\)/,
      );
      expect(Date.now() - started).toBeLessThan(15_000);
      const still = await request(backend.server)
        .get(`/api/slipway/apps/${RUN}-noengine`)
        .set(auth);
      expect(still.status).toBe(200);
    } finally {
      await backend.stop();
    }
  });

  it('fails a build over timeouts.buildSeconds and a health wait over timeouts.healthSeconds', async () => {
    const backend = await startBackend(
      await databases.init('SQLITE_3'),
      // buildSeconds also bounds the sick app's own (healthy) build, so it
      // leaves room for a loaded machine; the slow build sleeps far beyond it.
      testConfig({ timeouts: { buildSeconds: 20, healthSeconds: 3 } }),
    );
    const slowRepo = new TestRepo();
    try {
      slowRepo.commit({ body: 'slow', buildSleepSeconds: 90 });
      repo.commit({ body: 'sick', healthy: false });
      const slow = await request(backend.server)
        .post('/api/slipway/apps')
        .set(auth)
        .send({ name: `${RUN}-slow`, repoUrl: slowRepo.url, port: 8080 });
      const sick = await request(backend.server)
        .post('/api/slipway/apps')
        .set(auth)
        .send({
          name: `${RUN}-sick`,
          repoUrl: repo.url,
          ref: 'main',
          port: 8080,
          // Docker's own verdict comes too late to end the wait first.
          healthCheck: { path: '/healthz', intervalSeconds: 60 },
        });
      expect([slow.status, sick.status]).toEqual([201, 201]);
      const [slowDone, sickDone] = await Promise.all(
        [slow, sick].map(r =>
          waitForDeployment(backend.server, r.body.deployment.id, s =>
            ['running', 'failed'].includes(s),
          ),
        ),
      );
      expect(slowDone.status).toBe('failed');
      expect(slowDone.error).toMatch(
        /took longer than 20 s \(slipway\.deploy\.timeouts\.buildSeconds\)/,
      );
      expect(sickDone.error).toMatch(
        /not healthy within 3 s \(slipway\.deploy\.timeouts\.healthSeconds\)/,
      );
      expect(sickDone.status).toBe('failed');
    } finally {
      await backend.stop();
      slowRepo.remove();
    }
  });
});
