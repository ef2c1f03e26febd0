/*
 * The Slipway backend beside a real catalog and a real permission backend
 * (conditional decisions resolved through Slipway's apply-conditions
 * endpoint), the auditor's records captured. Slipway gets the test's
 * database; every other plugin an in-memory SQLite one.
 */
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
  inMemoryDatabases,
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
      inMemoryDatabases({ given: { slipway: knex } }),
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
