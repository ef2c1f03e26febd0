/*
 * Auto-deploy triggers are durable and acted on once: recorded with the
 * delivery, acted on after a restart, and never twice by several instances
 * on one database.
 */
import knexFactory, { Knex } from 'knex';
import { createTestDatabases } from '@slipway/test-utils';
import { applyDatabaseMigrations } from '../database/migrations';
import { DeployStore } from '../deploy/DeployStore';
import { newSha, workflowRunPayload } from './__testUtils__/githubPayloads';
import {
  autoDeployments,
  createApp,
  decisions,
  deliver,
  startTriggerBackend,
  waitFor,
  waitForDecisions,
} from './__testUtils__/triggerBackend';

jest.setTimeout(180_000);

const databases = createTestDatabases();

describe('auto-deploy across restarts and instances', () => {
  const pools: Knex[] = [];
  afterAll(() => Promise.all(pools.map(k => k.destroy())));

  /** Another instance's handle on the same database (SQLite: the same). */
  function secondHandle(knex: Knex, databaseId: string): Knex {
    if (databaseId !== 'POSTGRES_15') return knex;
    const other = knexFactory({
      client: 'pg',
      connection: knex.client.config.connection,
      pool: { min: 0, max: 10 },
    });
    pools.push(other);
    return other;
  }

  it.each(databases.eachSupportedId())(
    'a trigger stored by a backend that stops before acting is acted on exactly once by the backends that start next, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const slug = 'octo-org/durable';
      const sha = newSha();

      // A backend whose trigger worker never runs: the delivery is stored
      // with its trigger, and the backend goes away before acting on it.
      const first = await startTriggerBackend(knex, { enabled: false });
      try {
        await createApp(first.server, 'durable', slug, {
          branch: 'main',
          requireGreenCi: false,
        });
        const stored = await deliver(
          first.server,
          'workflow_run',
          workflowRunPayload({ slug, sha }),
        );
        expect(stored.status).toBe(202);
        expect(stored.body.result).toBe('stored');
      } finally {
        await first.stop();
      }
      const [trigger] = await knex('deploy_triggers').where({ head_sha: sha });
      expect(trigger).toMatchObject({ state: 'pending', claimed_by: null });

      // Two backends start on the same database.
      const [a, b] = await Promise.all([
        startTriggerBackend(knex),
        startTriggerBackend(secondHandle(knex, databaseId)),
      ]);
      try {
        const [decision] = await waitForDecisions(a.server, 'durable', 1);
        expect(decision.meta).toMatchObject({
          decision: 'queued',
          headSha: sha,
          trigger: { id: String(trigger.id) },
        });
        await waitFor(
          () => knex('deploy_triggers').where({ id: trigger.id }).first(),
          row => row.state === 'done',
        );
        // Done: nobody can claim it any more, so this is final.
        expect(await decisions(b.server, 'durable')).toHaveLength(1);
        const deployed = await autoDeployments(b.server, 'durable');
        expect(deployed.map(d => d.ref)).toEqual([sha]);
      } finally {
        await Promise.all([a.stop(), b.stop()]);
      }
    },
  );

  // createTestDatabases() already announced the skip (or failed the run
  // with SLIPWAY_REQUIRE_SERVICES=1) when PostgreSQL is not configured.
  const describeOnPostgres = databases
    .eachSupportedId()
    .some(([id]) => id === 'POSTGRES_15')
    ? describe
    : describe.skip;

  describeOnPostgres('on PostgreSQL', () => {
    it('two backends on one PostgreSQL receiving the same payloads at once queue each commit once', async () => {
      const databaseId = 'POSTGRES_15';
      const knex = await databases.init(databaseId);
      // Two instances migrating a fresh database at once race on knex's
      // own migrations table (a known knex limit); replicas start on a
      // migrated one.
      await applyDatabaseMigrations(knex);
      const slug = 'octo-org/concurrent';
      const [a, b] = await Promise.all([
        startTriggerBackend(knex),
        startTriggerBackend(secondHandle(knex, databaseId)),
      ]);
      try {
        await createApp(a.server, 'concurrent', slug, {
          branch: 'main',
          requireGreenCi: false,
        });
        const commits = Array.from({ length: 5 }, () => newSha());
        const deliveries = commits.flatMap(sha => {
          const ci = workflowRunPayload({ slug, sha, workflow: 'CI' });
          const e2e = workflowRunPayload({ slug, sha, workflow: 'E2E' });
          // The same CI run to both (a replay), a second workflow to each.
          return [
            [a, ci],
            [b, ci],
            [a, e2e],
            [b, e2e],
          ] as const;
        });
        const answers = await Promise.all(
          deliveries.map(([backend, payload]) =>
            deliver(backend.server, 'workflow_run', payload),
          ),
        );
        expect(answers.map(r => r.status)).toEqual(deliveries.map(() => 202));
        // Two facts per commit (CI and E2E), so two decisions each.
        const decided = await waitForDecisions(
          a.server,
          'concurrent',
          commits.length * 2,
        );
        for (const sha of commits) {
          const mine = decided.filter(d => d.meta.headSha === sha);
          expect(mine.map(d => d.meta.decision).sort()).toEqual([
            'duplicate',
            'queued',
          ]);
        }
        const deployed = await autoDeployments(a.server, 'concurrent');
        expect(deployed.map(d => d.ref).sort()).toEqual([...commits].sort());
        expect(
          await knex('deploy_triggers').where({ repo: slug }).count({ n: '*' }),
        ).toEqual([{ n: String(commits.length * 2) }]);
      } finally {
        await Promise.all([a.stop(), b.stop()]);
      }
    });
  });

  it.each(databases.eachSupportedId())(
    'the database holds one deployment per dedup key, whoever races for it, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const stores = [
        new DeployStore(knex),
        new DeployStore(secondHandle(knex, databaseId)),
      ];
      await stores[0].apps.createWithDeployment(
        {
          name: 'keyed',
          repoUrl: 'file:///srv/octo-org/keyed',
          contextPath: '.',
          dockerfilePath: 'Dockerfile',
          port: 8080,
          env: {},
          secretEnv: {},
          resources: {},
        },
        { trigger: 'create' },
      );
      const sha = newSha();
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) =>
          stores[i % 2].deployments.queue('keyed', {
            ref: sha,
            trigger: 'auto',
            dedupKey: `auto:${sha}`,
          }),
        ),
      );
      expect(results.filter(r => r.status === 'fulfilled')).toHaveLength(1);
      const rows = await knex('deployments').where({ app: 'keyed' });
      expect(rows.filter(r => r.dedup_key === `auto:${sha}`)).toHaveLength(1);
      // The failed attempts left nothing behind: the create deployment was
      // superseded once, by the one that won.
      expect(rows).toHaveLength(2);
      const holder = await stores[1].deployments.findByDedupKey(
        'keyed',
        `auto:${sha}`,
      );
      expect(holder).toMatchObject({ ref: sha, status: 'pending' });
      // Without a key, deployments of one commit are not limited.
      await stores[0].deployments.queue('keyed', {
        ref: sha,
        trigger: 'manual',
      });
      expect(await knex('deployments').where({ app: 'keyed' })).toHaveLength(3);
    },
  );
});
