import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { AddressInfo } from 'node:net';
import request from 'supertest';
import {
  catalogAndPermissions,
  componentEntity,
  permissionConfig,
  waitForEntities,
} from './catalogAndPermissions';
import { inMemoryDatabases } from './database';

jest.setTimeout(60_000);

describe('catalogAndPermissions', () => {
  it('serves the entities through the real catalog, filtered by the policy', async () => {
    const backend = await startTestBackend({
      features: [
        inMemoryDatabases(),
        mockServices.rootConfig.factory({ data: permissionConfig }),
        ...catalogAndPermissions({
          entities: [componentEntity('orders', 'user:default/alice')],
          policy: {
            async handle(req, user) {
              return req.permission.name === 'catalog.entity.read' &&
                user?.info.userEntityRef === 'user:default/bob'
                ? { result: AuthorizeResult.DENY }
                : { result: AuthorizeResult.ALLOW };
            },
          },
        }),
      ],
    });
    try {
      const { port } = backend.server.address() as AddressInfo;
      await waitForEntities(`http://127.0.0.1:${port}`, [
        'component:default/orders',
      ]);
      const as = (user: string) =>
        request(backend.server)
          .get('/api/catalog/entities/by-name/component/default/orders')
          .set('authorization', mockCredentials.user.header(user));
      const alice = await as('user:default/alice');
      expect(alice.status).toBe(200);
      expect(alice.body.relations).toEqual([
        { type: 'ownedBy', targetRef: 'user:default/alice' },
      ]);
      expect((await as('user:default/bob')).status).toBe(404);
    } finally {
      await backend.stop();
    }
  });
});
