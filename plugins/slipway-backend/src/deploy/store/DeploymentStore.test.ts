import knexFactory, { Knex } from 'knex';
import { createTestDatabases } from '@slipway/test-utils';
import { applyDatabaseMigrations } from '../../database/migrations';
import { DeployStore } from '../DeployStore';

jest.setTimeout(60_000);

const databases = createTestDatabases();

const app = (name: string) => ({
  name,
  repoUrl: 'file:///srv/repo',
  contextPath: '.',
  dockerfilePath: 'Dockerfile',
  port: 8080,
  env: {},
  secretEnv: { TOKEN: 'value' },
  resources: {},
});

describe('DeploymentStore', () => {
  const extra: Knex[] = [];
  afterAll(() => Promise.all(extra.map(k => k.destroy())));

  it.each(databases.eachSupportedId())(
    'claims each deployment once under concurrent claimers, one active per app, within the global limit on %p',
    async databaseId => {
      const knexA = await databases.init(databaseId);
      await applyDatabaseMigrations(knexA);
      // On PostgreSQL a second pool is a second instance; SQLite is one
      // process with one writer, so both claimers share the handle.
      const knexB =
        databaseId === 'POSTGRES_15'
          ? knexFactory({
              client: 'pg',
              connection: knexA.client.config.connection,
              pool: { min: 0, max: 10 },
            })
          : knexA;
      if (knexB !== knexA) extra.push(knexB);
      const a = new DeployStore(knexA);
      const b = new DeployStore(knexB);

      for (let i = 0; i < 20; i++) {
        await a.apps.createWithDeployment(app(`app-${i}`), {
          trigger: 'manual',
        });
      }
      // A second pending deployment of app-0 supersedes its first.
      const { superseded } = await a.deployments.queue('app-0', {
        trigger: 'manual',
      });
      expect(superseded).toHaveLength(1);

      const claims: { instance: string; id: string; app: string }[] = [];
      const claimer = async (store: DeployStore, instance: string) => {
        for (let i = 0; i < 40; i++) {
          const d = await store.deployments.claimNext(instance, 15);
          if (d) claims.push({ instance, id: d.id, app: d.app });
        }
      };
      // Both pools hold their connections before the race starts: on a
      // loaded machine B's first PostgreSQL connect took longer than all of
      // A's claims, so B claimed nothing and the race was never run.
      await Promise.all(
        [knexA, knexA, knexB, knexB].map(k => k.raw('select 1')),
      );
      await Promise.all([
        claimer(a, 'A'),
        claimer(b, 'B'),
        claimer(a, 'A'),
        claimer(b, 'B'),
      ]);
      // The global limit of 15 active deployments held.
      expect(claims).toHaveLength(15);
      expect(new Set(claims.map(c => c.id)).size).toBe(15);
      expect(new Set(claims.map(c => c.app)).size).toBe(15);
      expect(new Set(claims.map(c => c.instance))).toEqual(new Set(['A', 'B']));
      const rows = await knexA('deployments').whereIn('status', ['cloning']);
      expect(rows.every(r => Number(r.claim_count) === 1)).toBe(true);

      // Freeing capacity lets the rest be claimed, still exactly once.
      await knexA('deployments')
        .where({ status: 'cloning' })
        .update({ status: 'running' });
      const rest: string[] = [];
      await Promise.all(
        [a, b].map(async store => {
          for (let i = 0; i < 20; i++) {
            const d = await store.deployments.claimNext('X', 15);
            if (d) rest.push(d.id);
          }
        }),
      );
      expect(rest).toHaveLength(5);
      expect(new Set([...claims.map(c => c.id), ...rest]).size).toBe(20);
    },
  );

  it.each(databases.eachSupportedId())(
    'keeps the images of the newest deployments that served and of those in progress, not those of failed builds, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const store = new DeployStore(knex);
      await store.apps.createWithDeployment(app('web'), { trigger: 'create' });
      // Deployment history, oldest first: what each one came to.
      const history: Array<{ status: string; container?: boolean }> = [
        { status: 'superseded', container: true }, // served, v1
        { status: 'superseded', container: true }, // served, v2
        { status: 'failed' }, // health check failed
        { status: 'superseded' }, // replaced while pending: never served
        { status: 'running', container: true }, // serving, v5
        { status: 'building' }, // in progress, may still fail
      ];
      await knex('deployments').where({ app: 'web' }).delete();
      for (const [i, h] of history.entries()) {
        await knex('deployments').insert({
          id: i + 1,
          app: 'web',
          status: h.status,
          trigger: 'manual',
          image_tag: `slipway-web:${i + 1}`,
          container_id: h.container ? `c${i + 1}` : null,
          config: '{}',
          created_at: new Date().toISOString(),
          updated_at: new Date().toISOString(),
        });
      }
      // A rollback to v1 serves v1's image again: one image, counted once.
      await knex('deployments')
        .where({ id: 5 })
        .update({ status: 'superseded' });
      await knex('deployments').insert({
        id: 7,
        app: 'web',
        status: 'running',
        trigger: 'rollback',
        image_tag: 'slipway-web:1',
        rollback_of: 1,
        container_id: 'c7',
        config: '{}',
        created_at: new Date().toISOString(),
        updated_at: new Date().toISOString(),
      });

      const sorted = async (keep: number) =>
        [...(await store.deployments.imageTagsToKeep('web', keep))].sort();
      expect(await sorted(2)).toEqual([
        'slipway-web:1',
        'slipway-web:5',
        'slipway-web:6',
      ]);
      expect(await sorted(3)).toEqual([
        'slipway-web:1',
        'slipway-web:2',
        'slipway-web:5',
        'slipway-web:6',
      ]);
      // keep 0 still keeps what serves and what is being built.
      expect(await sorted(0)).toEqual(['slipway-web:1', 'slipway-web:6']);
    },
  );
});
