import { mockCredentials } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { PermissionPolicy } from '@backstage/plugin-permission-node';
import { componentEntity, createTestDatabases } from '@slipway/test-utils';
import request from 'supertest';
import { WEBHOOK_SECRET } from '../deploy/__testUtils__/testApps';
import { startPermissionBackend } from '../permissions/__testUtils__/permissionBackend';
import { sendDelivery } from '../webhooks/__testUtils__/testBackend';

jest.setTimeout(120_000);

const databases = createTestDatabases();
const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';
const as = (user: string) => ({
  Authorization: mockCredentials.user.header(user),
});

/** Bob may do nothing that changes state; alice everything. */
const policy: PermissionPolicy = {
  async handle(req, user) {
    const bobChanges =
      user?.info.userEntityRef === BOB &&
      req.permission.name.startsWith('slipway.') &&
      req.permission.attributes.action !== 'read';
    return {
      result: bobChanges ? AuthorizeResult.DENY : AuthorizeResult.ALLOW,
    };
  },
};

describe('the auditor records every change with who and the outcome', () => {
  it.each(databases.eachSupportedId())(
    'for app changes, deploy, rollback, cancel, event publish and delivery reprocess on %p',
    async databaseId => {
      const { backend, server, audit } = await startPermissionBackend({
        databases,
        databaseId,
        entities: [componentEntity('orders', ALICE)],
        policy,
      });
      try {
        const created = await request(server)
          .post('/api/slipway/apps')
          .set(as(ALICE))
          .send({ name: 'audited', repoUrl: 'file:///srv/repo' });
        expect(created.status).toBe(201);
        const [create] = await audit.waitFor('app-create');
        expect(create).toMatchObject({
          plugin: 'slipway',
          status: 'succeeded',
          actor: { actorId: ALICE },
          meta: {
            app: 'audited',
            status: 201,
            deploymentId: created.body.deployment.id,
          },
        });

        const refused = await request(server)
          .post('/api/slipway/apps/audited/deployments')
          .set(as(BOB))
          .send({ ref: 'main' });
        expect(refused.status).toBe(403);
        const deployed = await request(server)
          .post('/api/slipway/apps/audited/deployments')
          .set(as(ALICE))
          .send({});
        expect(deployed.status).toBe(202);
        const deploys = await audit.waitFor('deployment-create', 2);
        expect(deploys).toEqual([
          expect.objectContaining({
            status: 'failed',
            actor: expect.objectContaining({ actorId: BOB }),
            meta: { app: 'audited', status: 403 },
            error: expect.stringContaining('slipway.deployment.create'),
          }),
          expect.objectContaining({
            status: 'succeeded',
            actor: expect.objectContaining({ actorId: ALICE }),
            meta: {
              app: 'audited',
              status: 202,
              deploymentId: deployed.body.id,
            },
          }),
        ]);

        await request(server)
          .post(`/api/slipway/deployments/${deployed.body.id}/cancel`)
          .set(as(BOB));
        await request(server)
          .post('/api/slipway/apps/audited/rollback')
          .set(as(ALICE))
          .send({});
        await request(server)
          .patch('/api/slipway/apps/audited')
          .set(as(ALICE))
          .send({ env: { A: '1' } });
        await request(server).delete('/api/slipway/apps/audited').set(as(BOB));
        expect(await audit.waitFor('deployment-cancel')).toEqual([
          expect.objectContaining({
            status: 'failed',
            actor: expect.objectContaining({ actorId: BOB }),
            meta: {
              deploymentId: deployed.body.id,
              app: 'audited',
              status: 403,
            },
          }),
        ]);
        // No earlier deployment served: the engine refuses, and that is recorded.
        expect(await audit.waitFor('deployment-rollback')).toEqual([
          expect.objectContaining({
            status: 'failed',
            actor: expect.objectContaining({ actorId: ALICE }),
            error: expect.stringContaining('no earlier deployment'),
          }),
        ]);
        expect(await audit.waitFor('app-update')).toEqual([
          expect.objectContaining({
            status: 'succeeded',
            meta: { app: 'audited', status: 200 },
          }),
        ]);
        expect(await audit.waitFor('app-delete')).toEqual([
          expect.objectContaining({
            status: 'failed',
            error: expect.stringContaining('slipway.app.delete'),
          }),
        ]);

        const published = await request(server)
          .post('/api/slipway/events')
          .set(as(ALICE))
          .send({
            module: 'CI',
            source: 'ci.example',
            kind: 'note',
            status: 'info',
            title: 'hello',
          });
        expect(published.status).toBe(201);
        expect(await audit.waitFor('event-publish')).toEqual([
          expect.objectContaining({
            status: 'succeeded',
            actor: expect.objectContaining({ actorId: ALICE }),
            meta: { source: 'ci.example', kind: 'note', status: 201 },
          }),
        ]);

        expect(
          (
            await sendDelivery(
              server,
              'ping',
              { zen: 'hi', hook_id: 7 },
              {
                secret: WEBHOOK_SECRET,
              },
            )
          ).status,
        ).toBeLessThan(300);
        const deliveries = await request(server)
          .get('/api/slipway/deliveries')
          .set(as(ALICE));
        const [{ id }] = deliveries.body.items;
        expect(
          (
            await request(server)
              .post(`/api/slipway/deliveries/${id}/reprocess`)
              .set(as(BOB))
          ).status,
        ).toBe(403);
        expect(
          (
            await request(server)
              .post(`/api/slipway/deliveries/${id}/reprocess`)
              .set(as(ALICE))
          ).status,
        ).toBe(200);
        expect(await audit.waitFor('delivery-reprocess', 2)).toEqual([
          expect.objectContaining({
            status: 'failed',
            actor: expect.objectContaining({ actorId: BOB }),
            meta: { deliveryId: String(id), status: 403 },
          }),
          expect.objectContaining({
            status: 'succeeded',
            actor: expect.objectContaining({ actorId: ALICE }),
            meta: { deliveryId: String(id), status: 200 },
          }),
        ]);
      } finally {
        await backend.stop();
      }
    },
  );
});
