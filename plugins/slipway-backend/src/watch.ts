import {
  AuditorService,
  HttpAuthService,
  LoggerService,
  PermissionsService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import express from 'express';
import Router from 'express-promise-router';
import { createReadAccess, ReadAccess } from './access';
import { CicdStatusService, DeploymentLookup } from './cicd/CicdStatusService';
import { createCicdRouter } from './cicd/cicdRouter';
import { GithubWorkflowPoller } from './cicd/GithubWorkflowPoller';
import { EntityRefResolver } from './oasis/EntityRefResolver';
import { createEventsRouter } from './oasis/eventsRouter';
import { OasisEventStream } from './oasis/OasisEventStream';
import { OasisEventTailer } from './oasis/OasisEventTailer';
import { StreamConnections } from './oasis/streamConnections';
import { applyRetention } from './oasis/retention';
import { VtidExtractor } from './oasis/vtid';
import { createDeliveriesRouter } from './webhooks/deliveriesRouter';
import { createWebhookRouter } from './webhooks/webhookRouter';
import { WebhookProcessor } from './webhooks/WebhookProcessor';
import type { WatchStores } from './watchStores';

/**
 * The configured webhook secrets, re-read at most once a second so that a
 * config reload rotates them without a config lookup per delivery.
 */
function webhookSecrets(config: Config): () => string[] {
  let cached: string[] = [];
  let readAt = 0;
  return () => {
    if (Date.now() - readAt > 1000) {
      cached = (
        config.getOptionalStringArray('slipway.github.webhookSecrets') ?? []
      ).filter(s => s.length > 0);
      readAt = Date.now();
    }
    return cached;
  };
}

/** Everything "watch" builds; plugin.ts mounts the router. */
export interface Watch {
  router: express.Router;
  tailer: OasisEventTailer;
  stream: OasisEventStream;
  processor: WebhookProcessor;
  cicdStatus: CicdStatusService;
  poller: GithubWorkflowPoller;
  /** Catalog-read checks of every read route (deploy routes too). */
  access: ReadAccess;
  /** Finishes writing received deliveries and stops the stream's reader. */
  close(): Promise<void>;
}

/** The options of {@link createWatch}. */
export interface WatchOptions {
  config: Config;
  logger: LoggerService;
  /** Every table the watch reads or writes, through its owning store. */
  stores: WatchStores;
  catalog: CatalogService;
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  /** Records every change the routes make. */
  auditor: AuditorService;
  scheduler?: SchedulerService;
  /**
   * Links repositories and apps to entities (shared with the deploy engine,
   * whose apps it reads).
   */
  entityRefs: EntityRefResolver;
  /** The deployment block of `GET /cicd/status` (from the deploy engine). */
  deploymentLookup?: DeploymentLookup;
  /** Aborted on backend shutdown: live streams end. */
  shutdown?: AbortSignal;
}

/**
 * Builds the watch side of the plugin (webhooks, events API and stream,
 * CI/CD status) around the events store, and schedules retention and the
 * polling fallback.
 */
export async function createWatch(options: WatchOptions): Promise<Watch> {
  const { config, logger, stores, catalog, httpAuth, permissions } = options;
  const store = stores.events;
  const events = config.getOptionalConfig('slipway.events');
  const stream = events?.getOptionalConfig('stream');

  const vtid = VtidExtractor.fromConfig(config);
  const entityRefs = options.entityRefs;
  const { tailer, eventStream, connections } = createEventStream(
    options,
    stream,
  );
  const access = createReadAccess({ config, catalog, permissions, httpAuth });
  const processor = new WebhookProcessor({
    stores,
    entityRefs,
    vtid,
    logger,
  });
  const cicdStatus = new CicdStatusService({
    sources: stores.sources,
    events: store,
    entityRefs,
    deploymentLookup: options.deploymentLookup,
  });
  const poller = new GithubWorkflowPoller({
    sources: stores.sources,
    pollState: stores.pollState,
    processor,
    entityRefs,
    vtid,
    config,
    logger: logger.child({ area: 'cicd-polling' }),
  });

  const router = createWatchRouter(options, {
    processor,
    eventStream,
    vtid,
    access,
    connections,
    cicdStatus,
  });

  if (options.scheduler) {
    await scheduleWatchTasks(options, options.scheduler, poller, events);
  }

  return {
    router,
    tailer,
    stream: eventStream,
    processor,
    cicdStatus,
    poller,
    access,
    close: async () => {
      await processor.flush();
      tailer.close();
    },
  };
}

/** The reader of the events table and the live stream on it. */
function createEventStream(options: WatchOptions, stream?: Config) {
  const store = options.stores.events;
  const tailer = new OasisEventTailer({
    store,
    logger: options.logger,
    pollIntervalMs: stream?.getOptionalNumber('pollIntervalMs') ?? 250,
    maxGapWaitMs: (stream?.getOptionalNumber('maxGapWaitSeconds') ?? 30) * 1000,
  });
  const eventStream = new OasisEventStream({
    store,
    tailer,
    maxBufferedEvents: stream?.getOptionalNumber('maxBufferedEvents') ?? 500,
    heartbeatMs: (stream?.getOptionalNumber('heartbeatSeconds') ?? 15) * 1000,
    maxReplayEvents: stream?.getOptionalNumber('maxReplayEvents') ?? 1000,
    maxConnectionMs:
      (stream?.getOptionalNumber('maxConnectionMinutes') ?? 60) * 60_000,
    shutdown: options.shutdown,
  });
  const connections = new StreamConnections({
    maxPerCaller: stream?.getOptionalNumber('maxConnectionsPerUser') ?? 10,
  });
  return { tailer, eventStream, connections };
}

/** The webhook, events, deliveries and CI/CD routes, in that order. */
function createWatchRouter(
  options: WatchOptions,
  parts: {
    processor: WebhookProcessor;
    eventStream: OasisEventStream;
    vtid: VtidExtractor;
    access: ReadAccess;
    connections: StreamConnections;
    cicdStatus: CicdStatusService;
  },
): express.Router {
  const { config, logger, stores, httpAuth, permissions } = options;
  const { processor, access } = parts;
  const router = Router();
  router.use(
    createWebhookRouter({
      processor,
      logger,
      secrets: webhookSecrets(config),
      maxUnverifiedBytesInFlight: config.getOptionalNumber(
        'slipway.github.maxUnverifiedBytesInFlight',
      ),
      bodyTimeoutSeconds: config.getOptionalNumber(
        'slipway.github.unverifiedBodyTimeoutSeconds',
      ),
    }),
  );
  router.use(
    createEventsRouter({
      store: stores.events,
      stream: parts.eventStream,
      httpAuth,
      permissions,
      auditor: options.auditor,
      vtid: parts.vtid,
      access,
      connections: parts.connections,
    }),
  );
  router.use(
    createDeliveriesRouter({
      deliveries: stores.deliveries,
      processor,
      httpAuth,
      permissions,
      auditor: options.auditor,
    }),
  );
  router.use(createCicdRouter({ status: parts.cicdStatus, access }));
  return router;
}

/** Hourly retention, and the polling fallback when it is enabled. */
async function scheduleWatchTasks(
  options: WatchOptions,
  scheduler: SchedulerService,
  poller: GithubWorkflowPoller,
  events?: Config,
) {
  const { logger, stores } = options;
  const retentionDays = events?.getOptionalNumber('retentionDays') ?? 90;
  await scheduler.scheduleTask({
    id: 'slipway-events-retention',
    frequency: { hours: 1 },
    timeout: { minutes: 15 },
    initialDelay: { minutes: 1 },
    scope: 'global',
    fn: async () => {
      const removed = await applyRetention({
        events: stores.events,
        deliveries: stores.deliveries,
        keys: stores.keys,
        retentionDays,
      });
      logger.info(
        `Retention (${retentionDays} days) removed ${removed.events} events, ${removed.deliveries} deliveries`,
      );
    },
  });
  if (poller.settings.enabled) {
    await scheduler.scheduleTask({
      id: 'slipway-github-workflow-poll',
      frequency: { seconds: poller.settings.frequencySeconds },
      timeout: { minutes: 5 },
      initialDelay: { seconds: 30 },
      scope: 'global',
      fn: async () => {
        await poller.pollOnce();
      },
    });
  }
}
