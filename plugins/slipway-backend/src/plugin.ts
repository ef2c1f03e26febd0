import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { applyDatabaseMigrations } from './database/migrations';
import { createDockerClient, resolveDockerEndpoint } from './deploy/docker';
import { createRouter } from './service/router';
import { OasisEventStore } from './oasis/OasisEventStore';

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

        // The OASIS events store: OasisEventSink (publish) and
        // OasisEventListeners (onEvent) for the deploy engine and the webhooks.
        const oasisEvents = await OasisEventStore.create({
          knex,
          logger,
          skipMigrations: true,
        });

        const dockerEndpoint = resolveDockerEndpoint(config);
        const docker = createDockerClient(dockerEndpoint);

        httpRouter.use(
          await createRouter({
            logger,
            knex,
            docker,
            dockerEndpoint: dockerEndpoint.description,
            oasisEvents,
          }),
        );
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
      },
    });
  },
});
