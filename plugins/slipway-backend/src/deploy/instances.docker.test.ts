import knexFactory, { Knex } from 'knex';
import { createTestDatabases, describeWithDocker } from '@slipway/test-utils';
import { applyDatabaseMigrations } from '../database/migrations';
import { DeployStore } from './DeployStore';
import {
  cleanupDocker,
  containersOf,
  RUN,
  startBackend,
  testConfig,
  TestRepo,
} from './__testUtils__/testApps';

jest.setTimeout(400_000);

const databases = createTestDatabases();
const COUNT = 20;
const MAX_ACTIVE = 3;

describeWithDocker('two backend instances on one PostgreSQL', () => {
  const ids = databases.eachSupportedId().filter(id => id[0] === 'POSTGRES_15');
  const extraConnections: Knex[] = [];
  let repo: TestRepo | undefined;

  afterAll(async () => {
    await cleanupDocker(`${RUN}-m`);
    await Promise.all(extraConnections.map(k => k.destroy()));
    repo?.remove();
  });

  // createTestDatabases() already announced the skip (or failed the run
  // with SLIPWAY_REQUIRE_SERVICES=1) when PostgreSQL is not configured.
  const describeOnPostgres = ids.length ? describe : describe.skip;

  describeOnPostgres('on PostgreSQL', () => {
    it(`run each of ${COUNT} queued deployments exactly once`, async () => {
      const knexA = await databases.init('POSTGRES_15');
      // A second pool to the same database, like a second replica has.
      const knexB = knexFactory({
        client: 'pg',
        connection: knexA.client.config.connection,
        pool: { min: 0, max: 5 },
      });
      extraConnections.push(knexB);
      await applyDatabaseMigrations(knexA);

      repo = new TestRepo();
      repo.commit({ body: 'many' });
      const store = new DeployStore(knexA);
      const names = Array.from({ length: COUNT }, (_, i) => `${RUN}-m${i}`);
      for (const name of names) {
        await store.apps.createWithDeployment(
          {
            name,
            repoUrl: repo.url,
            contextPath: '.',
            dockerfilePath: 'Dockerfile',
            port: 8080,
            env: {},
            secretEnv: {},
            resources: {},
            healthCheck: { path: '/healthz' },
          },
          { trigger: 'manual' },
        );
      }

      // Twenty containers probing themselves every 500 ms would load two cores.
      const config = testConfig({
        maxConcurrentBuilds: MAX_ACTIVE,
        dockerHealthIntervalMs: 2000,
      });
      const [a, b] = await Promise.all([
        startBackend(knexA, config),
        startBackend(knexB, config),
      ]);
      let maxSeenActive = 0;
      try {
        const deadline = Date.now() + 300_000;
        while (Date.now() < deadline) {
          const rows = await knexA('deployments').select('status');
          const active = rows.filter(r =>
            ['cloning', 'building', 'starting', 'health_checking'].includes(
              r.status,
            ),
          ).length;
          maxSeenActive = Math.max(maxSeenActive, active);
          if (rows.every(r => ['running', 'failed'].includes(r.status))) break;
          await new Promise(r => setTimeout(r, 100));
        }
      } finally {
        await Promise.all([a.stop(), b.stop()]);
      }

      const rows = await knexA('deployments').select(
        'id',
        'status',
        'claim_count',
        'claimed_by',
        'error',
      );
      expect(rows).toHaveLength(COUNT);
      // A deployment that did not end running is shown with its log (which
      // instance claimed it, each step, what stopped it), so a failure
      // explains itself.
      const notRunning = await Promise.all(
        rows
          .filter(r => r.status !== 'running')
          .map(async r => ({
            ...r,
            log: (
              await knexA('deployment_logs')
                .where({ deployment_id: r.id })
                .orderBy('id')
                .select('step', 'line')
            ).map(l => `${l.step}: ${l.line}`),
          })),
      );
      expect(notRunning).toEqual([]);
      expect(rows.every(r => Number(r.claim_count) === 1)).toBe(true);
      // The global limit held across both instances.
      expect(maxSeenActive).toBeLessThanOrEqual(MAX_ACTIVE);
      for (const row of rows) {
        const claims = await knexA('deployment_logs')
          .where({ deployment_id: row.id })
          .where('line', 'like', 'Claimed by backend instance%');
        expect(claims).toHaveLength(1);
      }
      for (const name of names.slice(0, 3)) {
        expect(await containersOf(name)).toHaveLength(1);
      }
    });
  });
});
