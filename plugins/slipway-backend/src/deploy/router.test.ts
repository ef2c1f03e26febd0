import { mockServices } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { createTestDatabases } from '@slipway/test-utils';
import request from 'supertest';
import {
  auth,
  startBackend,
  testConfig,
  waitForDeployment,
} from './__testUtils__/testApps';

jest.setTimeout(60_000);

const databases = createTestDatabases();

// The Docker socket points nowhere: these tests are about the API, and
// queued deployments must not build anything.
function apiConfig(extra: Record<string, unknown> = {}) {
  const config = testConfig({
    docker: { socketPath: '/nonexistent/docker.sock' },
  });
  return { ...config, slipway: { ...config.slipway, ...extra } };
}

describe('deploy API', () => {
  it.each(databases.eachSupportedId())(
    'validates input, paginates and hides secrets on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const backend = await startBackend(knex, apiConfig());
      const { server } = backend;
      try {
        const bad = await request(server)
          .post('/api/slipway/apps')
          .set(auth)
          .send({ name: 'Bad_Name', repoUrl: 'file:///srv/x' });
        expect(bad.status).toBe(400);
        expect(bad.body.error.message).toMatch(/Invalid app name "Bad_Name"/);

        const badRef = await request(server)
          .post('/api/slipway/apps')
          .set(auth)
          .send({
            name: 'ok-app',
            repoUrl: 'file:///srv/x',
            ref: '--upload-pack=x',
          });
        expect(badRef.status).toBe(400);
        expect(badRef.body.error.message).toMatch(/starts with "-"/);

        const badPath = await request(server)
          .post('/api/slipway/apps')
          .set(auth)
          .send({
            name: 'ok-app',
            repoUrl: 'file:///srv/x',
            contextPath: '../etc',
          });
        expect(badPath.status).toBe(400);

        const unknownField = await request(server)
          .post('/api/slipway/apps')
          .set(auth)
          .send({ name: 'ok-app', repoUrl: 'file:///srv/x', prot: 80 });
        expect(unknownField.status).toBe(400);
        expect(unknownField.body.error.message).toContain('prot');

        const secretValue = 'never-show-this-value';
        for (const name of ['app-a', 'app-b', 'app-c']) {
          const created = await request(server)
            .post('/api/slipway/apps')
            .set(auth)
            .send({
              name,
              repoUrl: 'file:///srv/repo',
              secretEnv: { TOKEN: secretValue },
            });
          expect(created.status).toBe(201);
        }
        const duplicate = await request(server)
          .post('/api/slipway/apps')
          .set(auth)
          .send({ name: 'app-a', repoUrl: 'file:///srv/repo' });
        expect(duplicate.status).toBe(409);

        const page1 = await request(server).get('/api/slipway/apps?limit=2');
        expect(page1.body.items).toHaveLength(2);
        expect(page1.body.nextCursor).toBeDefined();
        const page2 = await request(server).get(
          `/api/slipway/apps?limit=2&cursor=${page1.body.nextCursor}`,
        );
        expect(page2.body.items).toHaveLength(1);
        const names = [...page1.body.items, ...page2.body.items].map(
          (a: any) => a.name,
        );
        expect(new Set(names)).toEqual(new Set(['app-a', 'app-b', 'app-c']));
        expect(JSON.stringify([page1.body, page2.body])).not.toContain(
          secretValue,
        );

        const patched = await request(server)
          .patch('/api/slipway/apps/app-a')
          .set(auth)
          .send({
            env: { MODE: 'prod' },
            autoDeploy: { branch: 'main' },
            secretEnv: { TOKEN: 'rotated-secret-value' },
          });
        expect(patched.status).toBe(200);
        expect(patched.body).toMatchObject({
          env: { MODE: 'prod' },
          autoDeploy: { branch: 'main', requireGreenCi: true },
          secretEnvKeys: ['TOKEN'],
        });
        expect(JSON.stringify(patched.body)).not.toContain('rotated');

        const missing = await request(server).get('/api/slipway/apps/nope');
        expect(missing.status).toBe(404);
        expect(
          (await request(server).get('/api/slipway/deployments/999999')).status,
        ).toBe(404);

        const list = await request(server).get(
          '/api/slipway/apps/app-a/deployments',
        );
        expect(list.status).toBe(200);
        expect(list.body.items.length).toBeGreaterThanOrEqual(1);
        expect(JSON.stringify(list.body)).not.toContain(secretValue);

        const noRollback = await request(server)
          .post('/api/slipway/apps/app-b/rollback')
          .set(auth)
          .send({});
        expect(noRollback.status).toBe(409);
        expect(noRollback.body.error.message).toMatch(/no earlier deployment/);
      } finally {
        await backend.stop();
      }
    },
  );

  it('queues a newer deployment over an older pending one', async () => {
    const knex = await databases.init('SQLITE_3');
    const backend = await startBackend(knex, apiConfig());
    const { server } = backend;
    try {
      const created = await request(server)
        .post('/api/slipway/apps')
        .set(auth)
        .send({ name: 'queue-app', repoUrl: 'file:///srv/repo' });
      // Without an engine the first deployment fails at once.
      await waitForDeployment(
        server,
        created.body.deployment.id,
        s => s === 'failed',
        10_000,
      );
      // An active deployment of the app holds the worker off, so the next
      // two stay queued.
      await knex('deployments')
        .where({ id: created.body.deployment.id })
        .update({ status: 'building', heartbeat_ms: Date.now() + 3_600_000 });
      const first = await request(server)
        .post('/api/slipway/apps/queue-app/deployments')
        .set(auth)
        .send({ ref: 'v1' });
      const second = await request(server)
        .post('/api/slipway/apps/queue-app/deployments')
        .set(auth)
        .send({ ref: 'v2' });
      expect(first.status).toBe(202);
      const older = await request(server).get(
        `/api/slipway/deployments/${first.body.id}`,
      );
      expect(older.body.status).toBe('superseded');
      const newer = await request(server).get(
        `/api/slipway/deployments/${second.body.id}`,
      );
      expect(newer.body.status).toBe('pending');
      const cancelled = await request(server)
        .post(`/api/slipway/deployments/${second.body.id}/cancel`)
        .set(auth);
      expect(cancelled.status).toBe(202);
      expect(cancelled.body.status).toBe('cancelled');
    } finally {
      await backend.stop();
    }
  });

  it('refuses repositories outside slipway.allowedRepositories, naming the setting', async () => {
    const knex = await databases.init('SQLITE_3');
    const backend = await startBackend(
      knex,
      apiConfig({ allowedRepositories: ['https://github.com/acme/'] }),
    );
    const { server } = backend;
    try {
      const refused = await request(server)
        .post('/api/slipway/apps')
        .set(auth)
        .send({ name: 'local', repoUrl: 'file:///srv/repo' });
      expect(refused.status).toBe(403);
      expect(refused.body.error.message).toContain(
        'slipway.allowedRepositories',
      );
      expect(await knex('apps').count({ n: '*' })).toEqual([{ n: 0 }]);
    } finally {
      await backend.stop();
    }
  });

  it('checks permissions on every change and leaves reading open', async () => {
    const knex = await databases.init('SQLITE_3');
    const backend = await startBackend(knex, apiConfig(), [
      mockServices.permissions.factory({ result: AuthorizeResult.DENY }),
    ]);
    const { server } = backend;
    try {
      const calls: [string, string, string][] = [
        ['post', '/api/slipway/apps', 'slipway.app.create'],
        ['patch', '/api/slipway/apps/x', 'slipway.app.update'],
        ['delete', '/api/slipway/apps/x', 'slipway.app.delete'],
        [
          'post',
          '/api/slipway/apps/x/deployments',
          'slipway.deployment.create',
        ],
        ['post', '/api/slipway/apps/x/rollback', 'slipway.deployment.rollback'],
      ];
      for (const [method, path, permission] of calls) {
        const response = await (request(server) as any)
          [method](path)
          .set(auth)
          .send({ name: 'x', repoUrl: 'file:///srv/repo' });
        expect(response.status).toBe(403);
        expect(response.body.error.message).toContain(permission);
      }
      // Cancel is decided on the deployment's app, so an unknown deployment
      // is simply not found.
      expect(
        (
          await request(server)
            .post('/api/slipway/deployments/1/cancel')
            .set(auth)
        ).status,
      ).toBe(404);
      expect(
        (await request(server).get('/api/slipway/apps').set(auth)).status,
      ).toBe(200);
    } finally {
      await backend.stop();
    }
  });
});
