import { setMaxListeners } from 'node:events';
import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { applyDatabaseMigrations } from './database/migrations';
import { createDockerClient, resolveDockerEndpoint } from './deploy/docker';
import { createDeployEngine } from './deploy/createDeployEngine';
import { createDeployRouter } from './deploy/router';
import {
  createEntityClaimCheck,
  registerSlipwayPermissions,
} from './permissions';
import { createRouter } from './service/router';
import { OasisEventStore } from './oasis/OasisEventStore';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { createWatch } from './watch';
import { EntityRefResolver } from './oasis/EntityRefResolver';
import { createDeploymentLookup } from './cicd/deploymentLookup';
import { DeployStore } from './deploy/DeployStore';
import { toPublicDeployment } from './deploy/store/toPublic';
import { createAutoDeploy } from './triggers/createAutoDeploy';
import { secretBoxFromConfig } from './deploy/secrets/fromConfig';
import { resealSecrets } from './deploy/secrets/reseal';
import { createWatchStores } from './watchStores';

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
        auth: coreServices.auth,
        scheduler: coreServices.scheduler,
        catalog: catalogServiceRef,
        auditor: coreServices.auditor,
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
        auth,
        scheduler,
        catalog,
        auditor,
      }) {
        const knex = await database.getClient();
        // Ends the live streams (events, deployment logs) on shutdown: the
        // HTTP server waits for open connections before it stops.
        const shutdown = new AbortController();
        // One listener per open stream: thousands are expected.
        setMaxListeners(0, shutdown.signal);
        lifecycle.addShutdownHook(() => shutdown.abort());
        // Secret env is encrypted at rest with slipway.secrets.encryptionKeys.
        const secrets = secretBoxFromConfig(config, { knex, logger });
        if (!database.migrations?.skip) {
          await applyDatabaseMigrations(knex, {
            sealSecret: (app, name, value) => secrets.seal(app, name, value),
          });
        }
        // The deploy engine's tables; the watch reads its apps too.
        const deployStore = new DeployStore(knex, secrets);
        // Values sealed with an older key move to the first one.
        await resealSecrets(deployStore, secrets, logger);

        // The OASIS events store: OasisEventSink (publish) and
        // OasisEventListeners (onEvent) for the deploy engine and the webhooks.
        const oasisEvents = await OasisEventStore.create({
          knex,
          logger,
          skipMigrations: true,
        });
        // One store per table of the watch side (deliveries, hook sources,
        // dedup keys, triggers, poll state); auto-deploy reads the triggers
        // the webhook's transactions write.
        const watchStores = createWatchStores(oasisEvents);

        // Links repositories and apps to catalog entities, for both halves:
        // GitHub events of a deployed app's repository and deploy events
        // reach the entity whose `slipway.dev/app` names the app.
        const entityRefs = EntityRefResolver.fromConfig(config, {
          catalog,
          auth,
          logger: logger.child({ area: 'watch' }),
          apps: () => deployStore.apps.listLinks(),
        });
        const entityRefForApp = (app: string) => entityRefs.forApp(app);

        const dockerEndpoint = resolveDockerEndpoint(config);
        const docker = createDockerClient(dockerEndpoint);

        const deploy = createDeployEngine({
          config,
          knex,
          store: deployStore,
          docker,
          dockerEndpoint: dockerEndpoint.description,
          logger: logger.child({ area: 'deploy' }),
          events: oasisEvents,
          entityRefForApp,
        });

        // Watch: webhooks, events API and stream, CI/CD status, retention
        // and the polling fallback. It reads the deploy engine's stores (the
        // status card's deployment), never the other way round.
        const watch = await createWatch({
          config,
          logger: logger.child({ area: 'watch' }),
          stores: watchStores,
          catalog,
          httpAuth,
          permissions,
          auditor,
          scheduler,
          entityRefs,
          deploymentLookup: createDeploymentLookup({
            store: deployStore,
            toPublic: toPublicDeployment,
            appForEntity: ref => entityRefs.appForEntity(ref),
          }),
          shutdown: shutdown.signal,
        });
        lifecycle.addShutdownHook(() => watch.close());

        // Apps are a resource type: policies decide per app (e.g. "owners of
        // the app's entity deploy it"), conditions resolved here.
        registerSlipwayPermissions({
          registry: permissionsRegistry,
          getApp: name => deployStore.apps.get(name),
          catalog,
          auth,
        });
        // Acts on the triggers that signed deliveries (and the poller)
        // recorded with their events; never on events published by others.
        const autoDeploy = createAutoDeploy({
          config,
          triggers: watchStores.triggers,
          engine: deploy.engine,
          events: oasisEvents,
          entityRefForApp,
          logger: logger.child({ area: 'auto-deploy' }),
        });
        lifecycle.addStartupHook(async () => {
          await deploy.worker.start();
          autoDeploy.start();
        });
        lifecycle.addShutdownHook(async () => {
          await autoDeploy.stop();
          await deploy.worker.stop();
        });

        httpRouter.use(
          await createRouter({
            logger,
            knex,
            docker,
            dockerEndpoint: dockerEndpoint.description,
            oasisEvents,
            watchRouter: watch.router,
            deployRouter: createDeployRouter({
              shutdown: shutdown.signal,
              engine: deploy.engine,
              signals: deploy.signals,
              httpAuth,
              permissions,
              // Reads follow the catalog entity of the app.
              access: watch.access,
              // Naming an entity needs slipway.app.update on its apps.
              entityClaims: createEntityClaimCheck({
                permissions,
                registry: permissionsRegistry,
                catalog,
                auth,
              }),
              entityOfApp: async app =>
                app.entityRef ?? (await entityRefs.forApp(app.name)),
              auditor,
            }),
            httpAuth,
          }),
        );
        httpRouter.addAuthPolicy({ path: '/health', allow: 'unauthenticated' });
        // GitHub cannot sign in: the webhook proves itself with its HMAC.
        httpRouter.addAuthPolicy({
          path: '/webhooks',
          allow: 'unauthenticated',
        });
      },
    });
  },
});
