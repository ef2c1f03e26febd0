import { mockCredentials } from '@backstage/backend-test-utils';
import {
  AuthorizeResult,
  isResourcePermission,
} from '@backstage/plugin-permission-common';
import type { PermissionPolicy } from '@backstage/plugin-permission-node';
import { SLIPWAY_APP_RESOURCE_TYPE } from '@slipway/plugin-slipway-common';
import {
  createSlipwayAppConditionalDecision,
  slipwayAppConditions,
} from '@slipway/plugin-slipway-node';
import { componentEntity, createTestDatabases } from '@slipway/test-utils';
import request from 'supertest';
import { startPermissionBackend } from './__testUtils__/permissionBackend';

jest.setTimeout(120_000);

const databases = createTestDatabases();

const ALICE = 'user:default/alice';
const MALLORY = 'user:default/mallory';
const ORDERS = 'component:default/orders';
const MALLORYS = 'component:default/mallory-svc';
/** Denied slipway.app.update outright (no conditions). */
const DENIED = 'user:default/denied';
/** Alice's too, but the catalog hides it from mallory. */
const HIDDEN = 'component:default/hidden-svc';
const as = (user: string | 'service') => ({
  Authorization:
    user === 'service'
      ? mockCredentials.service.header()
      : mockCredentials.user.header(user),
});

/**
 * Like the example policy: owners of an app's entity (IS_APP_ENTITY_OWNER
 * with the user's ownership refs) may change it, services may do
 * everything, every user registers apps; the catalog hides hidden-svc from
 * mallory.
 */
const policy: PermissionPolicy = {
  async handle(req, user) {
    if (!user) return { result: AuthorizeResult.ALLOW };
    if (
      user.info.userEntityRef === DENIED &&
      req.permission.name === 'slipway.app.update'
    ) {
      return { result: AuthorizeResult.DENY };
    }
    if (isResourcePermission(req.permission, SLIPWAY_APP_RESOURCE_TYPE)) {
      return createSlipwayAppConditionalDecision(
        req.permission,
        slipwayAppConditions.isAppEntityOwner({
          claims: user.info.ownershipEntityRefs ?? [],
        }),
      );
    }
    if (
      req.permission.name === 'catalog.entity.read' &&
      user.info.userEntityRef === MALLORY
    ) {
      return {
        result: AuthorizeResult.CONDITIONAL,
        pluginId: 'catalog',
        resourceType: 'catalog-entity',
        conditions: {
          not: {
            rule: 'HAS_METADATA',
            resourceType: 'catalog-entity',
            params: { key: 'name', value: 'hidden-svc' },
          },
        },
      };
    }
    return { result: AuthorizeResult.ALLOW };
  },
};

const entities = [
  componentEntity('orders', ALICE),
  componentEntity('hidden-svc', ALICE),
  componentEntity('mallory-svc', MALLORY),
];

describe.each(databases.eachSupportedId())(
  'naming an entity as an app entityRef needs slipway.app.update on its apps, on %p',
  databaseId => {
    let started: Awaited<ReturnType<typeof startPermissionBackend>>;

    beforeAll(async () => {
      started = await startPermissionBackend({
        databases,
        databaseId,
        entities,
        policy,
      });
    });
    afterAll(async () => {
      await started?.backend.stop();
    });

    const rows = async (table: 'apps' | 'deployments', app: string) =>
      started
        .knex(table)
        .where(table === 'apps' ? { name: app } : { app })
        .select('*');
    const post = (user: string, body: object) =>
      request(started.server)
        .post('/api/slipway/apps')
        .set(as(user))
        .send({ repoUrl: 'file:///srv/repo', ...body });
    const patch = (user: string, name: string, body: object) =>
      request(started.server)
        .patch(`/api/slipway/apps/${name}`)
        .set(as(user))
        .send(body);

    it("refuses mallory an app for alice's entity with 403 naming the permission, writes nothing and audits the failure", async () => {
      const refused = await post(MALLORY, {
        name: 'spoof-app',
        entityRef: ORDERS,
      });
      expect(refused.status).toBe(403);
      expect(refused.body.error.name).toBe('NotAllowedError');
      expect(refused.body.error.message).toBe(
        `You may not register an app for ${ORDERS}: naming an entity needs the permission slipway.app.update on apps of that entity (usually: owning the entity in the catalog); ask its owners or an administrator.`,
      );
      expect(await rows('apps', 'spoof-app')).toEqual([]);
      expect(await rows('deployments', 'spoof-app')).toEqual([]);
      const outcomes = await started.audit.waitFor('app-create');
      expect(outcomes).toContainEqual(
        expect.objectContaining({
          status: 'failed',
          actor: expect.objectContaining({ actorId: MALLORY }),
          meta: { app: 'spoof-app', status: 403 },
          error: expect.stringContaining('slipway.app.update'),
        }),
      );
      // Nobody else's app of that name exists: the name is still free.
      expect(
        (await request(started.server).get('/api/slipway/apps/spoof-app'))
          .status,
      ).toBe(404);
    });

    it('lets alice, the owner of the entity, register an app for it (201), and a service too', async () => {
      const created = await post(ALICE, {
        name: 'orders-app',
        entityRef: ORDERS,
      });
      expect(created.status).toBe(201);
      expect(created.body.app.entityRef).toBe(ORDERS);
      expect(await rows('apps', 'orders-app')).toHaveLength(1);
      expect(await rows('deployments', 'orders-app')).toHaveLength(1);
      // Unchanged entityRef in a patch is no new claim; alice may change it.
      const same = await patch(ALICE, 'orders-app', {
        entityRef: ORDERS,
        env: { MODE: 'a' },
      });
      expect(same.status).toBe(200);
      // A service principal: as the policy decides (ALLOW here).
      const service = await post('service', {
        name: 'service-app',
        entityRef: ORDERS,
      });
      expect(service.status).toBe(201);
    });

    it("refuses mallory pointing her apps at alice's entity with 403, the app unchanged", async () => {
      // Her app without an entity: not even she owns it, the app's own
      // slipway.app.update check refuses first.
      const own = await post(MALLORY, { name: 'mallory-app', env: { A: '1' } });
      expect(own.status).toBe(201);
      const unowned = await rows('apps', 'mallory-app');
      const refused = await patch(MALLORY, 'mallory-app', {
        entityRef: ORDERS,
        env: { A: '2' },
      });
      expect(refused.status).toBe(403);
      expect(refused.body.error.message).toContain('slipway.app.update');
      expect(await rows('apps', 'mallory-app')).toEqual(unowned);

      // Her app of her own entity: she may change it, but not claim alice's.
      const mine = await post(MALLORY, {
        name: 'mallory-svc-app',
        entityRef: MALLORYS,
        env: { A: '1' },
      });
      expect(mine.status).toBe(201);
      const before = await rows('apps', 'mallory-svc-app');
      const deployments = (await rows('deployments', 'mallory-svc-app')).length;
      const claimed = await patch(MALLORY, 'mallory-svc-app', {
        entityRef: ORDERS,
        env: { A: '2' },
      });
      expect(claimed.status).toBe(403);
      expect(claimed.body.error.message).toBe(
        `You may not register an app for ${ORDERS}: naming an entity needs the permission slipway.app.update on apps of that entity (usually: owning the entity in the catalog); ask its owners or an administrator.`,
      );
      expect(await rows('apps', 'mallory-svc-app')).toEqual(before);
      expect(await rows('deployments', 'mallory-svc-app')).toHaveLength(
        deployments,
      );
      const app = await request(started.server)
        .get('/api/slipway/apps/mallory-svc-app')
        .set(as(MALLORY));
      expect(app.body.entityRef).toBe(MALLORYS);
      expect(app.body.env).toEqual({ A: '1' });
      expect(await started.audit.waitFor('app-update', 2)).toContainEqual(
        expect.objectContaining({
          status: 'failed',
          actor: expect.objectContaining({ actorId: MALLORY }),
          meta: { app: 'mallory-svc-app', status: 403 },
          error: expect.stringContaining('You may not register an app for'),
        }),
      );
      // Her own change without a new entity still goes through.
      const changed = await patch(MALLORY, 'mallory-svc-app', {
        env: { A: '3' },
      });
      expect(changed.status).toBe(200);
    });

    it('refuses a user denied slipway.app.update outright with 403, whether or not the entity exists', async () => {
      for (const entityRef of [ORDERS, 'component:default/no-such-svc']) {
        const refused = await post(DENIED, { name: 'denied-app', entityRef });
        expect([entityRef, refused.status]).toEqual([entityRef, 403]);
        expect(refused.body.error.message).toContain(
          `You may not register an app for ${entityRef}`,
        );
      }
      expect(await rows('apps', 'denied-app')).toEqual([]);
      // Without an entity, slipway.app.create alone decides.
      expect((await post(DENIED, { name: 'denied-app' })).status).toBe(201);
    });

    it('answers 400 naming the entityRef for an entity the catalog does not know, one the caller may not read alike, and a malformed ref', async () => {
      const unknown = 'component:default/no-such-svc';
      const missing = await post(ALICE, {
        name: 'ghost-app',
        entityRef: unknown,
      });
      expect(missing.status).toBe(400);
      expect(missing.body.error.message).toBe(
        `The catalog has no entity ${unknown} (or you may not read it); entityRef must name a catalog entity, e.g. component:default/my-service.`,
      );
      expect(await rows('apps', 'ghost-app')).toEqual([]);
      expect(await rows('deployments', 'ghost-app')).toEqual([]);

      // Mallory cannot tell a hidden entity from a missing one.
      const hidden = await post(MALLORY, {
        name: 'ghost-app',
        entityRef: HIDDEN,
      });
      const absent = await post(MALLORY, {
        name: 'ghost-app',
        entityRef: unknown,
      });
      expect(hidden.status).toBe(400);
      expect(absent.status).toBe(400);
      expect(hidden.body.error.message).toBe(
        absent.body.error.message.replace(unknown, HIDDEN),
      );

      const malformed = await post(ALICE, {
        name: 'ghost-app',
        entityRef: 'orders',
      });
      expect(malformed.status).toBe(400);
      expect(malformed.body.error.message).toContain('"orders"');
      expect(await rows('apps', 'ghost-app')).toEqual([]);
    });
  },
);
