import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { applyDatabaseMigrations } from './database/migrations';
import { createDockerClient, resolveDockerEndpoint } from './deploy/docker';
import { createRouter } from './service/router';

/**
 * The Slipway backend plugin: webhooks, OASIS events, CI/CD status and the
 * deploy engine, under `/api/slipway`.
 *
 * @public
 */
export const slipwayPlugin = createBackendPlugin({
  pluginId: 'slipway',
  register(env) {
    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        database: coreServices.database,
        httpRouter: coreServices.httpRouter,
        logger: coreServices.logger,
      },
      async init({ config, database, httpRouter, logger }) {
        const knex = await database.getClient();
        if (!database.migrations?.skip) {
          await applyDatabaseMigrations(knex);
        }

        const dockerEndpoint = resolveDockerEndpoint(config);
        const docker = createDockerClient(dockerEndpoint);

        httpRouter.use(
          await createRouter({
            logger,
            knex,
            docker,
            dockerEndpoint: dockerEndpoint.description,
          }),
        );
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
      },
    });
  },
});
