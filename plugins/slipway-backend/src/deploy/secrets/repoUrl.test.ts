import { createTestDatabases } from '@slipway/test-utils';
import request from 'supertest';
import { auth, startBackend, testConfig } from '../__testUtils__/testApps';
import { json } from '../store/rows';

jest.setTimeout(60_000);

const databases = createTestDatabases();

// No Docker: queued deployments fail at once, which is all these need.
const apiConfig = () =>
  testConfig({ docker: { socketPath: '/nonexistent/docker.sock' } });

describe('changing an app repoUrl', () => {
  it.each(databases.eachSupportedId())(
    'drops the secret env unless the request gives it again, and records the change without values on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const backend = await startBackend(knex, apiConfig());
      const { server } = backend;
      const patch = (body: object) =>
        request(server).patch('/api/slipway/apps/shop').set(auth).send(body);
      try {
        const created = await request(server)
          .post('/api/slipway/apps')
          .set(auth)
          .send({
            name: 'shop',
            repoUrl: 'file:///srv/trusted',
            secretEnv: { TOKEN: 'trusted-token-1', DB_PASS: 'trusted-pass-1' },
          });
        expect(created.status).toBe(201);

        // Other fields, or the same repoUrl, keep the secrets.
        const same = await patch({ repoUrl: 'file:///srv/trusted', port: 81 });
        expect(same.body).toMatchObject({
          secretEnvKeys: ['DB_PASS', 'TOKEN'],
          droppedSecretEnvKeys: [],
        });

        // The attack: point the app at another repository and deploy it
        // to read the secrets. They are gone before anything is queued.
        const moved = await patch({ repoUrl: 'file:///srv/attacker' });
        expect(moved.status).toBe(200);
        expect(moved.body).toMatchObject({
          repoUrl: 'file:///srv/attacker',
          secretEnvKeys: [],
          droppedSecretEnvKeys: ['DB_PASS', 'TOKEN'],
        });
        const deployed = await request(server)
          .post('/api/slipway/apps/shop/deployments')
          .set(auth)
          .send({});
        expect(deployed.status).toBe(202);
        const row = await knex('deployments')
          .where({ id: deployed.body.id })
          .first();
        expect(json<any>(row.config, {}).secretEnv).toEqual({});
        const app = await knex('apps').where({ name: 'shop' }).first();
        expect(json(app.secret_env, {})).toEqual({});

        const events = await knex('oasis_events')
          .where({ source: 'slipway.deploy', kind: 'app_changed' })
          .select();
        expect(events).toHaveLength(1);
        expect(json(events[0].meta, {})).toEqual({
          app: 'shop',
          changed: ['repoUrl'],
          previousRepoUrl: 'file:///srv/trusted',
          repoUrl: 'file:///srv/attacker',
          droppedSecretEnvKeys: ['DB_PASS', 'TOKEN'],
        });

        // Giving secrets with the change keeps exactly those.
        const again = await patch({
          repoUrl: 'file:///srv/trusted',
          secretEnv: { TOKEN: 'trusted-token-2' },
        });
        expect(again.body).toMatchObject({
          secretEnvKeys: ['TOKEN'],
          droppedSecretEnvKeys: [],
        });
        const changes = await knex('oasis_events')
          .where({ kind: 'app_changed' })
          .orderBy('id')
          .select('meta');
        expect(changes.map(c => json<any>(c.meta, {}))).toEqual([
          expect.objectContaining({
            droppedSecretEnvKeys: ['DB_PASS', 'TOKEN'],
          }),
          expect.objectContaining({
            repoUrl: 'file:///srv/trusted',
            droppedSecretEnvKeys: [],
          }),
        ]);
        const all = JSON.stringify(await knex('oasis_events').select());
        for (const value of ['trusted-token', 'trusted-pass']) {
          expect(all).not.toContain(value);
        }
      } finally {
        await backend.stop();
      }
    },
  );
});
