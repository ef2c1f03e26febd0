import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { createTestDatabases } from '@slipway/test-utils';
import Docker from 'dockerode';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyDatabaseMigrations } from '../database/migrations';
import { createDeployEngine } from './createDeployEngine';
import { DeployStore } from './DeployStore';
import { testConfig } from './__testUtils__/testApps';

jest.setTimeout(60_000);

const databases = createTestDatabases();

/**
 * A pipeline whose own bookkeeping throws (here: reading the app when the
 * run opens, as when the database goes away) used to leave its deployment
 * `cloning` with a live claim: the card showed it deploying, and once the
 * heartbeat went stale, recovery called it "interrupted by a restart",
 * which it was not. The worker now ends it at once with the real reason.
 */
describe('a crashed pipeline', () => {
  const gone = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-crash-'));
  afterAll(() => fs.rmSync(gone, { recursive: true, force: true }));

  it.each(databases.eachSupportedId())(
    'ends its deployment failed with the reason on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const store = new DeployStore(knex);
      const { deployment } = await store.apps.createWithDeployment(
        {
          name: 'crashes',
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
      // The run's first read fails; every later read works again.
      const get = store.apps.get.bind(store.apps);
      let failed = false;
      jest.spyOn(store.apps, 'get').mockImplementation(async name => {
        if (!failed) {
          failed = true;
          throw new Error('Connection terminated unexpectedly');
        }
        return get(name);
      });
      const logger = mockServices.logger.mock();
      // An engine socket nothing listens on: the container and image
      // removal fail at once (and are logged), as with a lost engine.
      const { worker } = createDeployEngine({
        config: new ConfigReader(testConfig()),
        knex,
        docker: new Docker({ socketPath: path.join(gone, 'docker.sock') }),
        dockerEndpoint: 'test engine',
        logger,
        store,
      });
      await worker.start();
      try {
        let current = await store.deployments.require(deployment.id);
        const deadline = Date.now() + 30_000;
        while (current.status !== 'failed' && Date.now() < deadline) {
          await new Promise(r => setTimeout(r, 50));
          current = await store.deployments.require(deployment.id);
        }
        expect(failed).toBe(true);
        expect(current.status).toBe('failed');
        expect(current.error).toBe(
          'The deploy engine failed during cloning: Connection terminated unexpectedly. Its container and image were removed; deploy again.',
        );
        expect(current.error).not.toMatch(/restart/);
        const log = await store.logs.read(deployment.id, { limit: 100 });
        expect(JSON.stringify(log)).toContain(
          'The deploy engine failed during cloning',
        );
        expect(logger.error).toHaveBeenCalledWith(
          `Deployment ${deployment.id} crashed: Connection terminated unexpectedly`,
        );
      } finally {
        await worker.stop();
      }
    },
  );
});
