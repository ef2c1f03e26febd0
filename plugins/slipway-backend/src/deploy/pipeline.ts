import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import type { DeploymentStatus } from '@slipway/plugin-slipway-common';
import {
  RepositoryAllowList,
  tokenForRepositoryUrl,
} from '@slipway/plugin-slipway-node';
import type Docker from 'dockerode';
import { DeployConfig } from './config';
import { DeployStore } from './DeployStore';
import {
  ACTIVE_STATUSES,
  AppRecord,
  DeploymentFields,
  DeploymentRecord,
} from './store/records';
import { DeployEvents } from './events';
import { pruneImages } from './images';
import { DeploymentLogWriter, DeploymentSignals } from './logs';
import { timedDockerCall } from './dockerCalls';
import { InstallationNames } from './names';
import { inspectImageToRun, launchContainer } from './launch';
import { buildImage } from './steps/build';
import { waitUntilHealthy } from './steps/health';
import { removeContainer } from './steps/run';
import { fetchSource, removeSource, sourceDirPrefix } from './steps/source';
import { switchTraffic } from './steps/switch';
import { effectiveResources } from './validation';

/** Everything the pipeline talks to. */
export interface PipelineDeps {
  store: DeployStore;
  docker: Docker;
  dockerEndpoint: string;
  deployConfig: DeployConfig;
  rootConfig: Config;
  allowList: RepositoryAllowList;
  events: DeployEvents;
  signals: DeploymentSignals;
  logger: LoggerService;
}

/** Why a pipeline was aborted from outside. */
export type AbortReason = 'cancel' | 'shutdown';

const ENGINE_ERRORS = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'EACCES',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ETIMEDOUT',
  'EPIPE',
]);

/** Calls on files: their ENOENT or EACCES is about a path, not the engine. */
const FILE_SYSCALLS = new Set([
  'open',
  'lstat',
  'stat',
  'scandir',
  'opendir',
  'readlink',
  'realpath',
  'access',
]);

/** An error message that names the engine when the engine was the problem. */
export function describeError(error: unknown, dockerEndpoint: string): string {
  const { code, syscall } = (error ?? {}) as {
    code?: string;
    syscall?: string;
  };
  const message = error instanceof Error ? error.message : String(error);
  if (
    code &&
    ENGINE_ERRORS.has(code) &&
    !(syscall && FILE_SYSCALLS.has(syscall)) &&
    !/git /.test(message)
  ) {
    return `the Docker engine at ${dockerEndpoint} is not reachable (${code}); start it or fix slipway.deploy.docker`;
  }
  const json = (error as { json?: { message?: string } })?.json;
  return (json?.message ?? message).trim();
}

async function pingEngine(
  docker: Docker,
  endpoint: string,
  seconds: number,
): Promise<void> {
  try {
    await timedDockerCall('ping', seconds, abortSignal =>
      (docker.ping as (o: object) => Promise<unknown>)({ abortSignal }),
    );
  } catch (error) {
    throw new Error(describeError(error, endpoint));
  }
}

/**
 * Runs one claimed deployment through source → build → run → health →
 * switch. Any failure leaves the previous deployment serving: the new
 * container and image are removed and the deployment is `failed` (or
 * `cancelled`) with the step and the reason.
 */
export async function runPipeline(
  deps: PipelineDeps,
  claimed: DeploymentRecord,
  signal: AbortSignal,
  /**
   * Called once the deployment serves. What follows (Docker health of the
   * new container, drain and stop of the old one, image pruning) waits
   * rather than builds, so the worker can start the next deployment.
   */
  onServing?: () => void,
): Promise<void> {
  const { store, docker, deployConfig: cfg, events } = deps;
  const names = new InstallationNames(cfg.installationId);
  const apiSeconds = cfg.timeouts.dockerApiSeconds;
  const id = claimed.id;
  const config = claimed.config;
  const app: Pick<AppRecord, 'name' | 'repoUrl' | 'entityRef'> =
    (await store.apps.get(claimed.app)) ?? {
      name: claimed.app,
      repoUrl: config.repoUrl,
    };
  const logs = new DeploymentLogWriter(
    store,
    deps.signals,
    id,
    store.secrets.maskValues(claimed.app, config.secretEnv),
    cfg.logMaxBytesPerDeployment,
  );
  let deployment: DeploymentRecord = claimed;
  let step: DeploymentStatus = 'cloning';
  let stepName = 'source';
  let sourceDir: string | undefined;
  let containerName: string | undefined;
  const isRollback = Boolean(claimed.rollbackOf && claimed.imageTag);
  let builtImage: string | undefined;
  const log = (line: string) => logs.write(stepName, line);

  /** Moves to the next status; a false result means someone else ended it. */
  const advance = async (
    to: DeploymentStatus,
    name: string,
    fields: DeploymentFields = {},
  ) => {
    if (signal.aborted) throw signal.reason;
    const moved = await store.deployments.transition(id, [step], to, fields);
    if (!moved) throw new Error('the deployment was ended by someone else');
    deployment = { ...deployment, ...fields, status: to };
    step = to;
    stepName = name;
    deps.signals.notify(id);
    await events.statusChanged(app, deployment, to, fields);
  };

  await events.statusChanged(app, deployment, 'cloning');
  try {
    stepName = 'engine';
    log(`Claimed by backend instance ${claimed.claimedBy}`);
    await pingEngine(docker, deps.dockerEndpoint, apiSeconds);
    let imageTag: string;
    if (isRollback) {
      imageTag = claimed.imageTag!;
      stepName = 'source';
      log(
        `Rollback of deployment ${claimed.rollbackOf}: reusing image ${imageTag}, no rebuild`,
      );
      await inspectImageToRun(deps, imageTag, true, signal);
      await advance('building', 'build', { imageTag });
      log('Skipped: the image already exists');
    } else {
      stepName = 'source';
      deps.allowList.assertAllowed(config.repoUrl, 'deploy an app');
      const token = await tokenForRepositoryUrl(
        deps.rootConfig,
        config.repoUrl,
      );
      const source = await fetchSource({
        repoUrl: config.repoUrl,
        ref: claimed.ref,
        workDir: cfg.workDir,
        token,
        log,
        signal,
        dirPrefix: sourceDirPrefix(cfg.installationId, id),
        timeoutSeconds: cfg.timeouts.cloneSeconds,
      });
      sourceDir = source.dir;
      imageTag = names.imageTag(claimed.app, id);
      await advance('building', 'build', {
        commitSha: source.commitSha,
        imageTag,
      });
      builtImage = imageTag;
      await buildImage({
        docker,
        sourceDir: source.dir,
        contextPath: config.contextPath,
        dockerfilePath: config.dockerfilePath,
        tag: imageTag,
        limits: cfg.build,
        log,
        signal,
      });
      await removeSource(sourceDir);
      sourceDir = undefined;
    }

    const image = await inspectImageToRun(deps, imageTag, isRollback, signal);
    const resources = effectiveResources(cfg, claimed.app, config.resources);
    await advance('starting', 'run');
    const healthPath =
      config.healthCheck?.path ??
      (image.Config?.Healthcheck?.Test?.length ? undefined : '/');
    containerName = names.containerName(claimed.app, id);
    const started = await launchContainer(deps, {
      deployment: claimed,
      image: imageTag,
      name: containerName,
      healthPath,
      resources,
      signal,
    });
    await store.deployments.setFields(id, {
      containerId: started.containerId,
      url: started.url,
    });
    log(`Started ${containerName}, published at ${started.url}`);

    await advance('health_checking', 'health', {
      containerId: started.containerId,
      url: started.url,
    });
    const checkPath = config.healthCheck?.path ?? healthPath;
    const healthTimeout =
      config.healthCheck?.timeoutSeconds ?? cfg.timeouts.healthSeconds;
    // With a version already serving, the switch waits for Docker's health
    // verdict before the old container stops; waiting here too would only
    // delay the new URL by a Docker health interval.
    const serving = Boolean(
      (await store.apps.get(claimed.app))?.currentDeploymentId,
    );
    await waitUntilHealthy({
      docker,
      containerId: started.containerId,
      url: started.url,
      path: checkPath,
      timeoutSeconds: healthTimeout,
      intervalMs: 100,
      dockerHealth:
        serving && checkPath !== undefined ? 'unlessUnhealthy' : 'require',
      log,
      signal,
      apiSeconds,
      timeoutSetting:
        config.healthCheck?.timeoutSeconds !== undefined
          ? "the app's healthCheck.timeoutSeconds"
          : 'slipway.deploy.timeouts.healthSeconds',
    });

    stepName = 'switch';
    if (signal.aborted) throw signal.reason;
    const newContainer = containerName;
    const newImage = builtImage;
    const { switched, previous, revertedBecause } = await switchTraffic({
      store,
      docker,
      app: claimed.app,
      deploymentId: id,
      containerId: started.containerId,
      dockerHealthTimeoutSeconds: healthTimeout,
      signal,
      drainSeconds: cfg.drainSeconds,
      stopTimeoutSeconds: cfg.stopTimeoutSeconds,
      log,
      // Events go out before the drain so the feed shows the switch at once.
      onSwitched: async prev => {
        // From here on the new container serves: no failure may remove it.
        containerName = undefined;
        builtImage = undefined;
        deployment = { ...deployment, status: 'running' };
        deps.signals.notify(id);
        onServing?.();
        await events.statusChanged(app, deployment, 'running');
        if (prev) await events.statusChanged(app, prev, 'superseded');
      },
    });
    if (!switched) throw new Error('the deployment was ended by someone else');
    if (revertedBecause) {
      // Its URL was handed out between the switch and the undo: drain it
      // like any replaced container.
      await new Promise(r => setTimeout(r, cfg.drainSeconds * 1000));
      await removeContainer(docker, newContainer!, 2).catch(() => {});
      if (newImage) {
        await docker
          .getImage(newImage)
          .remove({ force: true })
          .catch(() => {});
      }
      await logs.flush();
      deps.signals.notify(id);
      await events.statusChanged(app, deployment, 'failed', {
        error: revertedBecause,
      });
      if (previous) await events.statusChanged(app, previous, 'running');
      return;
    }
    stepName = 'cleanup';
    const removed = await pruneImages({
      docker,
      store,
      names,
      app: claimed.app,
      keep: cfg.keepImages,
    }).catch(() => []);
    if (removed.length) log(`Removed old images: ${removed.join(', ')}`);
    await logs.flush();
    deps.signals.notify(id);
  } catch (error) {
    const reason = signal.aborted ? (signal.reason as AbortReason) : undefined;
    const finalStatus: DeploymentStatus =
      reason === 'cancel' ? 'cancelled' : 'failed';
    let message = `${stepName} failed: ${describeError(
      error,
      deps.dockerEndpoint,
    )}`;
    if (reason === 'cancel') message = `Cancelled during ${stepName}.`;
    if (reason === 'shutdown') {
      message = `The backend stopped during ${stepName}; deploy again.`;
    }
    log(message);
    if (containerName) {
      await removeContainer(docker, containerName, 2).catch(() => {});
    }
    if (builtImage && !isRollback) {
      await docker
        .getImage(builtImage)
        .remove({ force: true })
        .catch(() => {});
    }
    await removeSource(sourceDir);
    // A deployment that already switched is serving: never mark it failed.
    const ended = await store.deployments.transition(
      id,
      ACTIVE_STATUSES,
      finalStatus,
      {
        error: message,
      },
    );
    await logs.flush();
    deps.signals.notify(id);
    if (ended) {
      await events.statusChanged(app, deployment, finalStatus, {
        error: message,
      });
    }
    deps.logger.info(`Deployment ${id} of ${claimed.app}: ${message}`);
  }
}
