import { createTestDatabases, describeWithDocker } from '@slipway/test-utils';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
import { InstallationNames } from './names';

jest.setTimeout(300_000);

const databases = createTestDatabases();

/** The pid of a process that has just exited (so nothing runs under it). */
function deadPid(): number {
  const child = spawnSync('true');
  return child.pid;
}

async function deployRef(server: any, name: string) {
  const queued = await request(server)
    .post(`/api/slipway/apps/${name}/deployments`)
    .set(auth)
    .send({ ref: 'main' });
  expect(queued.status).toBe(202);
  return waitForDeployment(server, queued.body.id, s =>
    ['running', 'failed'].includes(s),
  );
}

/** A running container as the engine makes them, for a crash state. */
async function runContainer(options: {
  name: string;
  image: string;
  labels: Record<string, string>;
  network?: string;
}) {
  const container = await docker.createContainer({
    name: options.name,
    Image: options.image,
    Labels: options.labels,
    HostConfig: { NetworkMode: options.network },
  });
  await container.start();
  return container.id;
}

describeWithDocker('reconcile at start', () => {
  const repo = new TestRepo();
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-reconcile-'));

  afterAll(async () => {
    await cleanupDocker();
    repo.remove();
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  it.each(databases.eachSupportedId())(
    'after a crash between switch and stop, exactly one container serves each app, stuck deployments fail and checkouts are removed on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const name = `${RUN}-crash-${databaseId === 'SQLITE_3' ? 'l' : 'p'}`;
      const config = testConfig({ workDir });
      const a = await startBackend(knex, config);
      repo.commit({ body: 'v1' });
      const created = await request(a.server)
        .post('/api/slipway/apps')
        .set(auth)
        .send({ name, repoUrl: repo.url, ref: 'main', port: 8080 });
      const v1 = await waitForDeployment(
        a.server,
        created.body.deployment.id,
        s => ['running', 'failed'].includes(s),
      );
      expect(v1.status).toBe('running');
      repo.commit({ body: 'v2' });
      const v2 = await deployRef(a.server, name);
      expect(v2.status).toBe('running');
      // Bounded wait for the drain to stop v1 as usual.
      for (let i = 0; i < 100 && (await containersOf(name)).length > 1; i++) {
        await new Promise(r => setTimeout(r, 200));
      }
      await a.stop();

      // The crash: v1's container still runs beside v2's ...
      const names = new InstallationNames();
      const v1Labels = names.containerLabels({
        app: name,
        deploymentId: v1.id,
        port: 8080,
        baseDomain: 'localhost',
      });
      const oldId = await runContainer({
        name: names.containerName(name, v1.id),
        image: v1.imageTag,
        labels: v1Labels,
        network: `slipway-${name}`,
      });
      // ... another installation's container of the same app name runs ...
      const foreignId = await runContainer({
        name: `${RUN}y--${name}-${v1.id}`,
        image: v1.imageTag,
        labels: {
          'slipway.installation': `${RUN}y`,
          'slipway.app': name,
          'slipway.deployment': v1.id,
        },
      });
      // ... a deployment was building, with its checkout in workDir.
      const [row] = await knex('deployments')
        .insert({
          app: name,
          status: 'building',
          trigger: 'manual',
          ref: 'main',
          config: JSON.stringify({ port: 8080, env: {}, secretEnv: {} }),
          claimed_by: 'crashed-instance',
          claim_count: 1,
          heartbeat_ms: Date.now() - 60_000,
          created_at: new Date().toISOString(),
          updated_at: new Date().toISOString(),
        })
        .returning('id');
      const stuckId = String(typeof row === 'object' ? row.id : row);
      const stale = path.join(workDir, `slipway-src-default--${stuckId}-abc`);
      const foreignDir = path.join(
        workDir,
        `slipway-src-${RUN}y--${stuckId}-x`,
      );
      const unrelated = path.join(workDir, 'someone-elses-dir');
      // A checkout of another live process on this host (a second backend
      // sharing workDir, with a database that knows other deployments) is
      // kept; one whose process is gone is removed.
      const alive = spawn('sleep', ['60']);
      const sharedDir = path.join(
        workDir,
        `slipway-src-default--${stuckId}-${alive.pid}-live`,
      );
      const deadDir = path.join(
        workDir,
        `slipway-src-default--${stuckId}-${deadPid()}-gone`,
      );
      for (const dir of [stale, foreignDir, unrelated, sharedDir, deadDir]) {
        fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
        fs.writeFileSync(path.join(dir, 'sub', 'file'), 'x');
      }
      expect(
        (await containersOf(name)).filter(c => c.State === 'running'),
      ).toHaveLength(3);

      const b = await startBackend(knex, config);
      try {
        // The startup hook reconciled before the backend answered.
        const mine = (await containersOf(name)).filter(
          c => c.Labels['slipway.installation'] === 'default',
        );
        expect(mine.map(c => c.Labels['slipway.deployment'])).toEqual([v2.id]);
        await expect(
          docker.getContainer(oldId).inspect(),
        ).rejects.toMatchObject({ statusCode: 404 });
        expect(
          (await docker.getContainer(foreignId).inspect()).State.Running,
        ).toBe(true);
        const stuck = (
          await request(b.server).get(`/api/slipway/deployments/${stuckId}`)
        ).body;
        expect(stuck.status).toBe('failed');
        expect(stuck.error).toMatch(/^Interrupted by a restart/);
        expect(fs.existsSync(stale)).toBe(false);
        expect(fs.existsSync(foreignDir)).toBe(true);
        expect(fs.existsSync(unrelated)).toBe(true);
        expect(fs.existsSync(sharedDir)).toBe(true);
        expect(fs.existsSync(deadDir)).toBe(false);
        const app = (await request(b.server).get(`/api/slipway/apps/${name}`))
          .body;
        expect(app.currentDeployment.id).toBe(v2.id);
        expect(await fetchText(app.url)).toBe('v2');
      } finally {
        alive.kill();
        await b.stop();
        await docker
          .getContainer(foreignId)
          .remove({ force: true })
          .catch(() => {});
      }
    },
  );
});
