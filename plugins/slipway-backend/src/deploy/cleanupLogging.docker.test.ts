import { mockServices, TestDatabaseId } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { createTestDatabases, describeWithDocker } from '@slipway/test-utils';
import Docker from 'dockerode';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyDatabaseMigrations } from '../database/migrations';
import { createDeployEngine } from './createDeployEngine';
import { DeployStore } from './DeployStore';
import { docker, RUN, testConfig } from './__testUtils__/testApps';

jest.setTimeout(120_000);

const databases = createTestDatabases();

/**
 * A deployment a crashed instance left in `building`, with the image tag it
 * had reached: recovery removes its container and image, best effort.
 */
async function abandonedDeployment(databaseId: TestDatabaseId, app: string) {
  const knex = await databases.init(databaseId);
  await applyDatabaseMigrations(knex);
  const store = new DeployStore(knex);
  const { deployment } = await store.apps.createWithDeployment(
    {
      name: app,
      repoUrl: 'file:///nowhere',
      contextPath: '.',
      dockerfilePath: 'Dockerfile',
      port: 8080,
      env: {},
      secretEnv: {},
      resources: {},
      healthCheck: { path: '/healthz' },
    },
    { trigger: 'manual' },
  );
  const claimed = await store.deployments.claimNext('crashed-instance', 5);
  expect(claimed?.id).toBe(deployment.id);
  const imageTag = `slipway-${RUN}-gone:${deployment.id}`;
  await store.deployments.setFields(deployment.id, { imageTag });
  // The crashed instance stopped beating long ago.
  await knex('deployments')
    .where({ id: deployment.id })
    .update({ heartbeat_ms: 1 });
  return { knex, store, id: deployment.id, imageTag };
}

function workerWith(
  knex: Awaited<ReturnType<typeof abandonedDeployment>>['knex'],
  store: DeployStore,
  engine: Docker,
) {
  const logger = mockServices.logger.mock();
  const { worker } = createDeployEngine({
    config: new ConfigReader(testConfig()),
    knex,
    docker: engine,
    dockerEndpoint: 'test engine',
    logger,
    store,
  });
  return { worker, logger };
}

describeWithDocker('best-effort cleanup logs what it could not do', () => {
  const gone = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-no-engine-'));

  afterAll(() => fs.rmSync(gone, { recursive: true, force: true }));

  it.each(databases.eachSupportedId())(
    'recovery of an abandoned deployment logs an image that is already gone at debug on %p',
    async databaseId => {
      const app = `${RUN}-cl-${databaseId === 'SQLITE_3' ? 'l' : 'p'}`;
      const { knex, store, id, imageTag } = await abandonedDeployment(
        databaseId,
        app,
      );
      const { worker, logger } = workerWith(knex, store, docker);

      expect(await worker.recover()).toEqual([id]);

      expect((await store.deployments.get(id))?.status).toBe('failed');
      expect(logger.debug).toHaveBeenCalledWith(
        expect.stringMatching(
          new RegExp(
            `^Could not remove image ${imageTag} of interrupted deployment ${id}: .+ \\(already gone\\)$`,
          ),
        ),
      );
      // The container was never created: removeContainer takes 404 as done.
      expect(logger.warn).not.toHaveBeenCalled();
    },
  );

  it.each(databases.eachSupportedId())(
    'recovery logs at warn what an unreachable engine could not remove, and still fails the deployment, on %p',
    async databaseId => {
      const app = `${RUN}-cw-${databaseId === 'SQLITE_3' ? 'l' : 'p'}`;
      const { knex, store, id, imageTag } = await abandonedDeployment(
        databaseId,
        app,
      );
      // An engine socket that nothing listens on: every call fails at once.
      const unreachable = new Docker({
        socketPath: path.join(gone, 'docker.sock'),
      });
      const { worker, logger } = workerWith(knex, store, unreachable);

      expect(await worker.recover()).toEqual([id]);

      expect((await store.deployments.get(id))?.status).toBe('failed');
      const warnings = logger.warn.mock.calls.map(call => String(call[0]));
      expect(warnings).toEqual([
        expect.stringMatching(
          new RegExp(
            `^Could not remove container \\S*${app}-${id} of interrupted deployment ${id}: .*ENOENT`,
          ),
        ),
        expect.stringMatching(
          new RegExp(
            `^Could not remove image ${imageTag} of interrupted deployment ${id}: .*ENOENT`,
          ),
        ),
      ]);
    },
  );
});
