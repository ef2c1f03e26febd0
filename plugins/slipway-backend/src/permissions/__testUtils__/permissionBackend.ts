/*
 * The Slipway backend beside a real catalog and a real permission backend
 * (conditional decisions resolved through Slipway's apply-conditions
 * endpoint), the auditor's records captured. Slipway gets the test's
 * database; every other plugin a fresh one of the same kind.
 */
import {
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  mockServices,
  startTestBackend,
  TestDatabaseId,
  TestDatabases,
} from '@backstage/backend-test-utils';
import type { PermissionPolicy } from '@backstage/plugin-permission-node';
import {
  catalogAndPermissions,
  componentEntity,
  permissionConfig,
  waitForEntities,
} from '@slipway/test-utils';
import { AddressInfo } from 'node:net';
import { slipwayPlugin } from '../../plugin';
import { auditLog } from '../../audit/__testUtils__/auditLog';
import { testConfig } from '../../deploy/__testUtils__/testApps';

export async function startPermissionBackend(options: {
  databases: TestDatabases;
  databaseId: TestDatabaseId;
  entities: ReturnType<typeof componentEntity>[];
  policy: PermissionPolicy;
}) {
  const { databases, databaseId } = options;
  const knex = await databases.init(databaseId);
  const audit = auditLog();
  // No engine: queued deployments fail at once instead of building.
  const config = testConfig({
    docker: { socketPath: '/nonexistent/docker.sock' },
  });
  const backend = await startTestBackend({
    features: [
      slipwayPlugin,
      createServiceFactory({
        service: coreServices.database,
        deps: { plugin: coreServices.pluginMetadata },
        factory: async ({ plugin }) => {
          const client =
            plugin.getId() === 'slipway'
              ? knex
              : await databases.init(databaseId);
          return { getClient: async () => client };
        },
      }),
      mockServices.rootConfig.factory({
        data: { ...permissionConfig, ...config },
      }),
      audit.factory,
      ...catalogAndPermissions({
        entities: options.entities,
        policy: options.policy,
      }),
    ],
  });
  const { port } = backend.server.address() as AddressInfo;
  await waitForEntities(
    `http://127.0.0.1:${port}`,
    options.entities.map(
      e => `${e.kind.toLocaleLowerCase('en-US')}:default/${e.metadata.name}`,
    ),
  );
  return { backend, server: backend.server, knex, audit };
}
