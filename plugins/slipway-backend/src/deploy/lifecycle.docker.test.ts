import { createTestDatabases, describeWithDocker } from '@slipway/test-utils';
import request from 'supertest';
import {
  auth,
  finished,
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

/** Reads an SSE response until `end` arrives or the time is up. */
async function readSse(url: string, timeoutMs: number) {
  const response = await fetch(url, {
    headers: auth,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const messages: { id?: string; event?: string; data?: string }[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  const firstLineAt: number[] = [];
  for await (const chunk of response.body as any as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    const parts = buffer.split('\n\n');
    buffer = parts.pop() ?? '';
    for (const part of parts) {
      const message: { id?: string; event?: string; data?: string } = {};
      for (const line of part.split('\n')) {
        const [key, ...rest] = line.split(': ');
        if (key === 'id' || key === 'event' || key === 'data') {
          message[key] = rest.join(': ');
        }
      }
      if (message.event) {
        messages.push(message);
        if (firstLineAt.length === 0) firstLineAt.push(Date.now());
      }
      if (message.event === 'end') return { messages, firstLineAt };
    }
  }
  return { messages, firstLineAt };
}

describeWithDocker('deploy engine lifecycle with a real Docker engine', () => {
  const repos: TestRepo[] = [];
  afterAll(async () => {
    await cleanupDocker();
    repos.forEach(r => r.remove());
  });

  function slowRepo() {
    const repo = new TestRepo();
    repos.push(repo);
    repo.commit({ body: 'slow', buildSleepSeconds: 30 });
    return repo;
  }

  it('cancels during the build, streaming the build log live until it ends', async () => {
    const knex = await databases.init('SQLITE_3');
    const backend = await startBackend(knex);
    const { server } = backend;
    const repo = slowRepo();
    const name = `${RUN}-cancel`;
    try {
      const created = await request(server)
        .post('/api/slipway/apps')
        .set(auth)
        .send({ name, repoUrl: repo.url, port: 8080 });
      const id = created.body.deployment.id;
      await waitForDeployment(server, id, s => s === 'building', 30_000);
      const follow = readSse(
        `http://127.0.0.1:${server.port()}/api/slipway/deployments/${id}/logs?follow=true`,
        60_000,
      );
      // The sleeping RUN step shows up in the live log before we cancel.
      const deadline = Date.now() + 20_000;
      let lines: string[] = [];
      while (Date.now() < deadline) {
        const logs = await request(server)
          .get(`/api/slipway/deployments/${id}/logs`)
          .set(auth);
        lines = logs.body.items.map((l: any) => l.line);
        if (lines.some(l => l.includes('/bin/sleep'))) break;
        await new Promise(r => setTimeout(r, 200));
      }
      expect(lines.some(l => l.includes('/bin/sleep'))).toBe(true);

      const cancelledAt = Date.now();
      const cancel = await request(server)
        .post(`/api/slipway/deployments/${id}/cancel`)
        .set(auth);
      expect(cancel.status).toBe(202);
      const done = await waitForDeployment(server, id, finished, 20_000);
      expect(done.status).toBe('cancelled');
      expect(done.error).toBe('Cancelled during build.');
      // Well before the 30 s sleep would have ended.
      expect(Date.now() - cancelledAt).toBeLessThan(15_000);

      const stream = await follow;
      const logLines = stream.messages
        .filter(m => m.event === 'log')
        .map(m => JSON.parse(m.data!).line as string);
      expect(logLines.some(l => l.includes('Checked out'))).toBe(true);
      expect(logLines).toContain('Cancelled during build.');
      const end = stream.messages[stream.messages.length - 1];
      expect(end.event).toBe('end');
      expect(JSON.parse(end.data!).status).toBe('cancelled');

      expect(await containersOf(name)).toEqual([]);
      expect(await imageTagsOf(name)).toEqual([]);
      const again = await request(server)
        .post(`/api/slipway/deployments/${id}/cancel`)
        .set(auth);
      expect(again.status).toBe(409);
    } finally {
      await backend.stop();
    }
  });

  it.each(databases.eachSupportedId())(
    'survives a backend restart mid-build and recovers a crashed deployment without touching the running one on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const repo = new TestRepo();
      repos.push(repo);
      const good = repo.commit({ body: 'good' });
      repo.branch('slow');
      repo.commit({ body: 'slow', buildSleepSeconds: 30 });
      const name = `${RUN}-restart-${databaseId === 'SQLITE_3' ? 'l' : 'p'}`;

      // Backend A: a good version runs, then a slow build is interrupted by
      // a shutdown.
      const a = await startBackend(knex);
      const created = await request(a.server)
        .post('/api/slipway/apps')
        .set(auth)
        .send({ name, repoUrl: repo.url, ref: good, port: 8080 });
      const running = await waitForDeployment(
        a.server,
        created.body.deployment.id,
        finished,
      );
      expect(running.status).toBe('running');
      const slow = await request(a.server)
        .post(`/api/slipway/apps/${name}/deployments`)
        .set(auth)
        .send({ ref: 'slow' });
      await waitForDeployment(a.server, slow.body.id, s => s === 'building');
      await a.stop();

      // Backend B on the same database.
      const b = await startBackend(knex);
      try {
        const interrupted = await waitForDeployment(
          b.server,
          slow.body.id,
          finished,
          5_000,
        );
        expect(interrupted.status).toBe('failed');
        expect(interrupted.error).toMatch(/stopped during build/);
        const app = await request(b.server).get(`/api/slipway/apps/${name}`);
        expect(app.body.currentDeployment.id).toBe(running.id);
        expect(await fetchText(app.body.url)).toBe('good');
        expect((await containersOf(name)).length).toBe(1);

        // A crash: an instance claimed a deployment, created its container
        // and image, and vanished without a word.
        const [row] = await knex('deployments')
          .insert({
            app: name,
            status: 'starting',
            trigger: 'manual',
            ref: good,
            config: JSON.stringify({ port: 8080, env: {}, secretEnv: {} }),
            claimed_by: 'crashed-instance',
            claim_count: 1,
            heartbeat_ms: Date.now() - 60_000,
            created_at: new Date().toISOString(),
            updated_at: new Date().toISOString(),
          })
          .returning('id');
        const crashedId = String(typeof row === 'object' ? row.id : row);
        const crashedTag = `slipway-${name}:${crashedId}`;
        await knex('deployments')
          .where({ id: crashedId })
          .update({ image_tag: crashedTag });
        const [repoName, tag] = crashedTag.split(':');
        await docker.getImage(running.imageTag).tag({ repo: repoName, tag });
        await docker.createContainer({
          name: `${name}-${crashedId}`,
          Image: crashedTag,
          Labels: { 'slipway.app': name, 'slipway.deployment': crashedId },
        });

        // B's safety poll finds it (heartbeat stale) and cleans up.
        const recovered = await waitForDeployment(
          b.server,
          crashedId,
          finished,
          30_000,
        );
        expect(recovered.status).toBe('failed');
        expect(recovered.error).toMatch(/stopped during starting/);
        const names = (await containersOf(name)).map(c => c.Names[0]);
        expect(names).toEqual([`/${name}-${running.id}`]);
        expect(await imageTagsOf(name)).not.toContain(crashedTag);
        const after = await request(b.server).get(`/api/slipway/apps/${name}`);
        expect(after.body.currentDeployment.id).toBe(running.id);
        expect(await fetchText(after.body.url)).toBe('good');

        // And B deploys normally.
        const next = await request(b.server)
          .post(`/api/slipway/apps/${name}/deployments`)
          .set(auth)
          .send({ ref: 'main' });
        const nextDone = await waitForDeployment(
          b.server,
          next.body.id,
          finished,
        );
        expect(nextDone.status).toBe('running');
      } finally {
        await b.stop();
      }
    },
  );

  it('undoes a switch when Docker calls the new container unhealthy, and the old one never stops serving', async () => {
    const knex = await databases.init('SQLITE_3');
    const backend = await startBackend(knex);
    const { server } = backend;
    const repo = new TestRepo();
    repos.push(repo);
    repo.commit({ body: 'stable' });
    const name = `${RUN}-revert`;
    try {
      const created = await request(server)
        .post('/api/slipway/apps')
        .set(auth)
        .send({
          name,
          repoUrl: repo.url,
          healthCheck: { path: '/healthz', timeoutSeconds: 20 },
        });
      const stable = await waitForDeployment(
        server,
        created.body.deployment.id,
        finished,
      );
      expect(stable.status).toBe('running');

      // Answers HTTP from outside, but its shell-form Docker HEALTHCHECK
      // cannot run without /bin/sh.
      repo.commit({ body: 'no-shell', withoutShell: true });
      const probe = startProbe(server, name);
      const queued = await request(server)
        .post(`/api/slipway/apps/${name}/deployments`)
        .set(auth)
        .send({});
      const bad = await waitForDeployment(
        server,
        queued.body.id,
        s => s === 'failed' || s === 'cancelled',
        60_000,
      );
      const seen = await probe.stop();
      expect(bad.error).toMatch(
        /^switch failed: Docker reports the container unhealthy/,
      );
      // Docker's probe output arrives as several lines; the error is one.
      expect(bad.error).not.toContain('\n');
      expect(seen.dockerGaps).toBe(0);
      expect(seen.failures).toEqual([]);
      const app = await request(server).get(`/api/slipway/apps/${name}`);
      expect(app.body.currentDeployment).toMatchObject({
        id: stable.id,
        status: 'running',
      });
      expect(await fetchText(app.body.url)).toBe('stable');
      // The undone container is drained like a replaced one, then removed.
      for (let i = 0; i < 100; i++) {
        if ((await containersOf(name)).length === 1) break;
        await new Promise(r => setTimeout(r, 100));
      }
      expect((await containersOf(name)).map(c => c.Names[0])).toEqual([
        `/${name}-${stable.id}`,
      ]);
      expect(await imageTagsOf(name)).not.toContain(bad.imageTag);
    } finally {
      await backend.stop();
    }
  });

  it('fails deployments clearly when the Docker engine is unreachable, and keeps the API working', async () => {
    const knex = await databases.init('SQLITE_3');
    const config = testConfig();
    (config.slipway.deploy as any).docker = {
      socketPath: '/nonexistent/docker.sock',
    };
    const backend = await startBackend(knex, config);
    const repo = new TestRepo();
    repos.push(repo);
    repo.commit({ body: 'x' });
    const name = `${RUN}-nodocker`;
    try {
      const created = await request(backend.server)
        .post('/api/slipway/apps')
        .set(auth)
        .send({ name, repoUrl: repo.url });
      expect(created.status).toBe(201);
      const failed = await waitForDeployment(
        backend.server,
        created.body.deployment.id,
        finished,
        20_000,
      );
      expect(failed.status).toBe('failed');
      expect(failed.error).toContain('unix:///nonexistent/docker.sock');
      expect(failed.error).toContain('not reachable');
      // Nothing lost: the app and its history are there, redeploy queues.
      const list = await request(backend.server).get('/api/slipway/apps');
      expect(list.body.items.map((a: any) => a.name)).toContain(name);
      const again = await request(backend.server)
        .post(`/api/slipway/apps/${name}/deployments`)
        .set(auth)
        .send({});
      expect(again.status).toBe(202);
      const health = await request(backend.server).get('/api/slipway/health');
      expect(health.body.docker.status).toBe('unavailable');
    } finally {
      await backend.stop();
    }
  });
});
