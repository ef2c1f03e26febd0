import { mockCredentials } from '@backstage/backend-test-utils';
import {
  AuthorizeResult,
  isResourcePermission,
} from '@backstage/plugin-permission-common';
import type { PermissionPolicy } from '@backstage/plugin-permission-node';
import { SLIPWAY_APP_RESOURCE_TYPE } from '@slipway/plugin-slipway-common';
import { componentEntity, createTestDatabases } from '@slipway/test-utils';
import request from 'supertest';
import { waitForDeployment } from '../deploy/__testUtils__/testApps';
import {
  createSlipwayAppConditionalDecision,
  slipwayAppConditions,
} from '@slipway/plugin-slipway-node';
import { startPermissionBackend } from './__testUtils__/permissionBackend';

jest.setTimeout(120_000);

const databases = createTestDatabases();

const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';
const CAROL = 'user:default/carol';
const as = (user: string) => ({
  Authorization: mockCredentials.user.header(user),
});

/**
 * Owners of an app's entity may change it; carol may change the app named
 * "shared" by name; everything else (reads, app.create) is allowed.
 */
const policy: PermissionPolicy = {
  async handle(req, user) {
    if (!isResourcePermission(req.permission, SLIPWAY_APP_RESOURCE_TYPE)) {
      return { result: AuthorizeResult.ALLOW };
    }
    if (user?.info.userEntityRef === CAROL) {
      return createSlipwayAppConditionalDecision(
        req.permission,
        slipwayAppConditions.hasAppName({ names: ['shared'] }),
      );
    }
    return createSlipwayAppConditionalDecision(
      req.permission,
      slipwayAppConditions.isAppEntityOwner({
        claims: user?.info.ownershipEntityRefs ?? [],
      }),
    );
  },
};

const entities = [
  componentEntity('orders', ALICE),
  // Bob's own entity claims alice's app by annotation: that makes him no owner.
  componentEntity('bobs-claim', BOB, { 'slipway.dev/app': 'orders-app' }),
];

describe('slipway-app resource permissions, decided by the real permission backend', () => {
  it.each(databases.eachSupportedId())(
    'lets the owner of the app entity deploy, cancel and change it, refuses everyone else with 403 naming the permission, and changes nothing on %p',
    async databaseId => {
      const { backend, server, knex } = await startPermissionBackend({
        databases,
        databaseId,
        entities,
        policy,
      });
      try {
        const created = await request(server)
          .post('/api/slipway/apps')
          .set(as(ALICE))
          .send({
            name: 'orders-app',
            repoUrl: 'file:///srv/repo',
            entityRef: 'component:default/orders',
            env: { MODE: 'a' },
          });
        expect(created.status).toBe(201);
        await waitForDeployment(
          server,
          created.body.deployment.id,
          s => s === 'failed',
          10_000,
        );
        // An active deployment of the app holds the worker off, so the
        // deployments queued below stay pending (cancellable).
        await knex('deployments')
          .where({ id: created.body.deployment.id })
          .update({ status: 'building', heartbeat_ms: Date.now() + 3_600_000 });
        const deploymentsOf = async () =>
          Number(
            (
              await knex('deployments')
                .where({ app: 'orders-app' })
                .count({ n: '*' })
            )[0].n,
          );
        const before = await deploymentsOf();

        const refusals: [string, string, string, object][] = [
          ['post', '/deployments', 'slipway.deployment.create', {}],
          ['patch', '', 'slipway.app.update', { env: { MODE: 'bob' } }],
          ['post', '/rollback', 'slipway.deployment.rollback', {}],
          ['delete', '', 'slipway.app.delete', {}],
        ];
        for (const [method, suffix, permission, body] of refusals) {
          const response = await (request(server) as any)
            [method](`/api/slipway/apps/orders-app${suffix}`)
            .set(as(BOB))
            .send(body);
          expect(response.status).toBe(403);
          expect(response.body.error.message).toBe(
            `You lack the permission ${permission} on the app orders-app; ask an administrator to grant it.`,
          );
        }
        // Nothing queued, nothing changed, nothing removed.
        expect(await deploymentsOf()).toBe(before);
        const app = await request(server).get('/api/slipway/apps/orders-app');
        expect(app.status).toBe(200);
        expect(app.body.env).toEqual({ MODE: 'a' });

        const deployed = await request(server)
          .post('/api/slipway/apps/orders-app/deployments')
          .set(as(ALICE))
          .send({});
        expect(deployed.status).toBe(202);
        expect(await deploymentsOf()).toBe(before + 1);
        const cancel = (user: string) =>
          request(server)
            .post(`/api/slipway/deployments/${deployed.body.id}/cancel`)
            .set(as(user));
        const bobCancels = await cancel(BOB);
        expect(bobCancels.status).toBe(403);
        expect(bobCancels.body.error.message).toContain(
          'slipway.deployment.cancel on the app orders-app',
        );
        const still = await request(server).get(
          `/api/slipway/deployments/${deployed.body.id}`,
        );
        expect(still.body.status).toBe('pending');
        const aliceCancels = await cancel(ALICE);
        expect(aliceCancels.status).toBe(202);
        expect(aliceCancels.body.status).toBe('cancelled');
        const patched = await request(server)
          .patch('/api/slipway/apps/orders-app')
          .set(as(ALICE))
          .send({ env: { MODE: 'alice' } });
        expect(patched.status).toBe(200);
        expect(patched.body.env).toEqual({ MODE: 'alice' });
      } finally {
        await backend.stop();
      }
    },
  );

  it('decides HAS_APP_NAME by name, and an app without an entity has no owner', async () => {
    const { backend, server } = await startPermissionBackend({
      databases,
      databaseId: 'SQLITE_3',
      entities,
      policy,
    });
    try {
      for (const name of ['shared', 'orders-app']) {
        const created = await request(server)
          .post('/api/slipway/apps')
          .set(as(ALICE))
          .send({
            name,
            repoUrl: 'file:///srv/repo',
            ...(name === 'orders-app'
              ? { entityRef: 'component:default/orders' }
              : {}),
          });
        expect(created.status).toBe(201);
      }
      const deploy = (user: string, app: string) =>
        request(server)
          .post(`/api/slipway/apps/${app}/deployments`)
          .set(as(user))
          .send({});
      expect((await deploy(CAROL, 'shared')).status).toBe(202);
      expect((await deploy(CAROL, 'orders-app')).status).toBe(403);
      // "shared" names no entity: not even its creator owns it.
      const creator = await deploy(ALICE, 'shared');
      expect(creator.status).toBe(403);
      expect(creator.body.error.message).toContain('slipway.deployment.create');
      expect((await deploy(ALICE, 'orders-app')).status).toBe(202);
      // An unknown app is refused, not created.
      expect((await deploy(ALICE, 'no-such-app')).status).toBe(403);
    } finally {
      await backend.stop();
    }
  });
});
