import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { applyDatabaseMigrations } from './database/migrations';
import { createDockerClient, resolveDockerEndpoint } from './deploy/docker';
import { createDeployEngine } from './deploy/createDeployEngine';
import { createDeployRouter } from './deploy/router';
import { startAutoDeploy } from './deploy/autoDeploy';
import { deployPermissions } from './deploy/permissions';
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
        httpAuth: coreServices.httpAuth,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        lifecycle: coreServices.lifecycle,
      },
      async init({
        config,
        database,
        httpRouter,
        logger,
        httpAuth,
        permissions,
        permissionsRegistry,
        lifecycle,
      }) {
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

        const deploy = createDeployEngine({
          config,
          knex,
          docker,
          dockerEndpoint: dockerEndpoint.description,
          logger: logger.child({ area: 'deploy' }),
          events: oasisEvents,
        });
        permissionsRegistry.addPermissions(deployPermissions);
        const stopAutoDeploy = startAutoDeploy({
          engine: deploy.engine,
          listeners: oasisEvents,
          logger: logger.child({ area: 'auto-deploy' }),
        });
        lifecycle.addStartupHook(() => deploy.worker.start());
        lifecycle.addShutdownHook(async () => {
          stopAutoDeploy();
          await deploy.worker.stop();
        });

        httpRouter.use(
          await createRouter({
            logger,
            knex,
            docker,
            dockerEndpoint: dockerEndpoint.description,
            oasisEvents,
            deployRouter: createDeployRouter({
              engine: deploy.engine,
              signals: deploy.signals,
              httpAuth,
              permissions,
            }),
          }),
        );
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
      },
    });
  },
});
