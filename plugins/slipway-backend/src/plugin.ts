import { setMaxListeners } from 'node:events';
import {
  AuditorService,
  AuthService,
  coreServices,
  createBackendPlugin,
  DatabaseService,
  HttpAuthService,
  HttpRouterService,
  LifecycleService,
  LoggerService,
  PermissionsRegistryService,
  PermissionsService,
  RootConfigService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { Knex } from 'knex';
import { applyDatabaseMigrations } from './database/migrations';
import {
  createDockerClient,
  DockerEndpoint,
  resolveDockerEndpoint,
} from './deploy/docker';
import {
  createDeployEngine,
  DeployEngineParts,
} from './deploy/createDeployEngine';
import { createDeployRouter } from './deploy/router';
import {
  createEntityClaimCheck,
  registerSlipwayPermissions,
} from './permissions';
import { createRouter } from './service/router';
import { OasisEventStore } from './oasis/OasisEventStore';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { createWatch, Watch } from './watch';
import { EntityRefResolver } from './oasis/EntityRefResolver';
import { createDeploymentLookup } from './cicd/deploymentLookup';
import { DeployStore } from './deploy/DeployStore';
import { toPublicDeployment } from './deploy/store/toPublic';
import { createAutoDeploy } from './triggers/createAutoDeploy';
import { secretBoxFromConfig } from './deploy/secrets/fromConfig';
import { resealSecrets } from './deploy/secrets/reseal';
import { createWatchStores, WatchStores } from './watchStores';

/** The core services and the catalog, as `init` receives them. */
interface SlipwayDeps {
  config: RootConfigService;
  database: DatabaseService;
  httpRouter: HttpRouterService;
  logger: LoggerService;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  permissionsRegistry: PermissionsRegistryService;
  lifecycle: LifecycleService;
  auth: AuthService;
  scheduler: SchedulerService;
  catalog: CatalogService;
  auditor: AuditorService;
}

/** The stores every other part is built on. */
interface SlipwayStores {
  deployStore: DeployStore;
  oasisEvents: OasisEventStore;
  watchStores: WatchStores;
}

/** The deploy engine and the Docker engine it talks to. */
interface SlipwayDeploy {
  deploy: DeployEngineParts;
  docker: ReturnType<typeof createDockerClient>;
  dockerEndpoint: DockerEndpoint;
}

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
      async init(deps) {
        const knex = await deps.database.getClient();
        const shutdown = createShutdownSignal(deps.lifecycle);
        const stores = await openStores(deps, knex);
        const entityRefs = createEntityRefs(deps, stores.deployStore);
        const entityRefForApp = (app: string) => entityRefs.forApp(app);
        const deploy = createDeploy(deps, knex, stores, entityRefForApp);
        const watch = await createWatchSide(deps, {
          stores,
          entityRefs,
          shutdown,
        });

        // Apps are a resource type: policies decide per app (e.g. "owners of
        // the app's entity deploy it"), conditions resolved here.
        registerSlipwayPermissions({
          registry: deps.permissionsRegistry,
          getApp: name => stores.deployStore.apps.get(name),
          catalog: deps.catalog,
          auth: deps.auth,
        });
        startAutoDeploy(deps, stores, deploy.deploy, entityRefForApp);

        await mountRoutes(deps, {
          knex,
          stores,
          deploy,
          watch,
          entityRefs,
          shutdown,
        });
      },
    });
  },
});

/**
 * Ends the live streams (events, deployment logs) on shutdown: the HTTP
 * server waits for open connections before it stops.
 */
function createShutdownSignal(lifecycle: LifecycleService): AbortSignal {
  const shutdown = new AbortController();
  // One listener per open stream: thousands are expected.
  setMaxListeners(0, shutdown.signal);
  lifecycle.addShutdownHook(() => shutdown.abort());
  return shutdown.signal;
}

/** Migrates the database and opens the stores of both halves. */
async function openStores(
  { config, database, logger }: SlipwayDeps,
  knex: Knex,
): Promise<SlipwayStores> {
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
  return { deployStore, oasisEvents, watchStores };
}

/**
 * Links repositories and apps to catalog entities, for both halves:
 * GitHub events of a deployed app's repository and deploy events reach the
 * entity whose `slipway.dev/app` names the app.
 */
function createEntityRefs(
  { config, catalog, auth, logger }: SlipwayDeps,
  deployStore: DeployStore,
): EntityRefResolver {
  return EntityRefResolver.fromConfig(config, {
    catalog,
    auth,
    logger: logger.child({ area: 'watch' }),
    apps: () => deployStore.apps.listLinks(),
  });
}

/** The deploy engine on the configured Docker engine (not started). */
function createDeploy(
  { config, logger }: SlipwayDeps,
  knex: Knex,
  stores: SlipwayStores,
  entityRefForApp: (app: string) => Promise<string | null>,
): SlipwayDeploy {
  const dockerEndpoint = resolveDockerEndpoint(config);
  const docker = createDockerClient(dockerEndpoint);

  const deploy = createDeployEngine({
    config,
    knex,
    store: stores.deployStore,
    docker,
    dockerEndpoint: dockerEndpoint.description,
    logger: logger.child({ area: 'deploy' }),
    events: stores.oasisEvents,
    entityRefForApp,
  });
  return { deploy, docker, dockerEndpoint };
}

/**
 * Watch: webhooks, events API and stream, CI/CD status, retention and the
 * polling fallback. It reads the deploy engine's stores (the status card's
 * deployment), never the other way round.
 */
async function createWatchSide(
  deps: SlipwayDeps,
  parts: {
    stores: SlipwayStores;
    entityRefs: EntityRefResolver;
    shutdown: AbortSignal;
  },
): Promise<Watch> {
  const { stores, entityRefs } = parts;
  const watch = await createWatch({
    config: deps.config,
    logger: deps.logger.child({ area: 'watch' }),
    stores: stores.watchStores,
    catalog: deps.catalog,
    httpAuth: deps.httpAuth,
    permissions: deps.permissions,
    auditor: deps.auditor,
    scheduler: deps.scheduler,
    entityRefs,
    deploymentLookup: createDeploymentLookup({
      store: stores.deployStore,
      toPublic: toPublicDeployment,
      appForEntity: ref => entityRefs.appForEntity(ref),
    }),
    shutdown: parts.shutdown,
  });
  deps.lifecycle.addShutdownHook(() => watch.close());
  return watch;
}

/**
 * Acts on the triggers that signed deliveries (and the poller) recorded
 * with their events; never on events published by others. Starts with the
 * deploy worker once the backend is up.
 */
function startAutoDeploy(
  { config, logger, lifecycle }: SlipwayDeps,
  stores: SlipwayStores,
  deploy: DeployEngineParts,
  entityRefForApp: (app: string) => Promise<string | null>,
) {
  const autoDeploy = createAutoDeploy({
    config,
    triggers: stores.watchStores.triggers,
    engine: deploy.engine,
    events: stores.oasisEvents,
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
}

/** The plugin's routes under `/api/slipway`, and who may call them. */
async function mountRoutes(
  deps: SlipwayDeps,
  parts: {
    knex: Knex;
    stores: SlipwayStores;
    deploy: SlipwayDeploy;
    watch: Watch;
    entityRefs: EntityRefResolver;
    shutdown: AbortSignal;
  },
) {
  const { httpRouter, logger, httpAuth, permissions, catalog, auth } = deps;
  const { deploy, docker, dockerEndpoint } = parts.deploy;
  const { watch, entityRefs } = parts;
  httpRouter.use(
    await createRouter({
      logger,
      knex: parts.knex,
      docker,
      dockerEndpoint: dockerEndpoint.description,
      oasisEvents: parts.stores.oasisEvents,
      watchRouter: watch.router,
      deployRouter: createDeployRouter({
        shutdown: parts.shutdown,
        engine: deploy.engine,
        signals: deploy.signals,
        httpAuth,
        permissions,
        // Reads follow the catalog entity of the app.
        access: watch.access,
        // Naming an entity needs slipway.app.update on its apps.
        entityClaims: createEntityClaimCheck({
          permissions,
          registry: deps.permissionsRegistry,
          catalog,
          auth,
        }),
        entityOfApp: async app =>
          app.entityRef ?? (await entityRefs.forApp(app.name)),
        auditor: deps.auditor,
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
}
