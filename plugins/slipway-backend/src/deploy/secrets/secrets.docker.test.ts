import { createTestDatabases, describeWithDocker } from '@slipway/test-utils';
import { Knex } from 'knex';
import request from 'supertest';
import {
  auth,
  cleanupDocker,
  docker,
  RUN,
  startBackend,
  testConfig,
  TestRepo,
  waitForDeployment,
} from '../__testUtils__/testApps';

jest.setTimeout(300_000);

const databases = createTestDatabases();
const FIRST = 'first-secret-value-7f3a';
const SECOND = 'second-secret-value-9c1d';
const THIRD = 'third-secret-value-44e0';

/** Every row of every table, as text. */
async function dumpDatabase(knex: Knex): Promise<string> {
  const isPg = String(knex.client.config.client).includes('pg');
  const tables: string[] = isPg
    ? (
        await knex.raw(
          'select tablename as name from pg_tables where schemaname = current_schema()',
        )
      ).rows.map((r: any) => r.name)
    : (
        await knex.raw(
          "select name from sqlite_master where type = 'table' and name not like 'sqlite_%'",
        )
      ).map((r: any) => r.name);
  expect(tables).toEqual(
    expect.arrayContaining([
      'apps',
      'deployments',
      'deployment_logs',
      'oasis_events',
    ]),
  );
  const rows = await Promise.all(tables.map(t => knex(t).select()));
  return JSON.stringify(rows);
}

async function containerEnv(containerId: string): Promise<string[]> {
  const info = await docker.getContainer(containerId).inspect();
  return info.Config.Env ?? [];
}

describeWithDocker('secret env with a real Docker engine', () => {
  const repos: TestRepo[] = [];
  afterAll(async () => {
    await cleanupDocker(`${RUN}-sec`);
    repos.forEach(r => r.remove());
  });

  it.each(databases.eachSupportedId())(
    'gives containers decrypted secrets, rolls back with current secrets unless restoreSecrets, and stores no plaintext on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const backend = await startBackend(knex, testConfig());
      const { server } = backend;
      const repo = new TestRepo();
      repos.push(repo);
      repo.commit({ body: 'v1' });
      const name = `${RUN}-sec-${databaseId === 'SQLITE_3' ? 'lite' : 'pg'}`;
      const running = async (pending: { status: number; body: any }) => {
        expect(pending.status).toBe(202);
        const d = await waitForDeployment(server, pending.body.id, s =>
          ['running', 'failed'].includes(s),
        );
        expect(d.status).toBe('running');
        return d;
      };
      const rollback = (body: object) =>
        request(server)
          .post(`/api/slipway/apps/${name}/rollback`)
          .set(auth)
          .send(body);
      try {
        const created = await request(server)
          .post('/api/slipway/apps')
          .set(auth)
          .send({
            name,
            repoUrl: repo.url,
            ref: 'main',
            port: 8080,
            secretEnv: { API_TOKEN: FIRST },
            healthCheck: { path: '/healthz', timeoutSeconds: 30 },
          });
        expect(created.status).toBe(201);
        const d1 = await running({
          status: 202,
          body: created.body.deployment,
        });
        expect(await containerEnv(d1.containerId)).toContain(
          `API_TOKEN=${FIRST}`,
        );

        const patched = await request(server)
          .patch(`/api/slipway/apps/${name}`)
          .set(auth)
          .send({ secretEnv: { API_TOKEN: SECOND } });
        expect(patched.status).toBe(200);
        repo.commit({ body: 'v2' });
        const d2 = await running(
          await request(server)
            .post(`/api/slipway/apps/${name}/deployments`)
            .set(auth)
            .send({}),
        );
        expect(await containerEnv(d2.containerId)).toContain(
          `API_TOKEN=${SECOND}`,
        );

        // Rolling back to v1 keeps today's secret by default...
        const d3 = await running(await rollback({ toDeploymentId: d1.id }));
        expect(d3.rollbackOf).toBe(d1.id);
        const env3 = await containerEnv(d3.containerId);
        expect(env3).toContain(`API_TOKEN=${SECOND}`);
        expect(env3.join('\n')).not.toContain(FIRST);
        // ...and brings v1's back only when asked.
        const d4 = await running(
          await rollback({ toDeploymentId: d1.id, restoreSecrets: true }),
        );
        expect(await containerEnv(d4.containerId)).toContain(
          `API_TOKEN=${FIRST}`,
        );

        // Secrets of another repository never reach an image built from
        // this one.
        const other = new TestRepo();
        repos.push(other);
        other.commit({ body: 'other' });
        const moved = await request(server)
          .patch(`/api/slipway/apps/${name}`)
          .set(auth)
          .send({ repoUrl: other.url, secretEnv: { API_TOKEN: THIRD } });
        expect(moved.body.droppedSecretEnvKeys).toEqual([]);
        const refused = await rollback({ toDeploymentId: d2.id });
        expect(refused.status).toBe(409);
        expect(refused.body.error.message).toContain('restoreSecrets: true');

        const dump = await dumpDatabase(knex);
        for (const secret of [FIRST, SECOND, THIRD]) {
          expect(dump).not.toContain(secret);
        }
        expect(dump).toContain('v1:test-1:');
      } finally {
        await backend.stop();
      }
    },
  );
});
