import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import type { DeploymentStatus } from '@slipway/plugin-slipway-common';
import { RepositoryAllowList } from '@slipway/plugin-slipway-node';
import type Docker from 'dockerode';
import { errorMessage } from './cleanup';
import { DeployConfig } from './config';
import { DeployStore } from './DeployStore';
import { ACTIVE_STATUSES, DeploymentRecord } from './store/records';
import { DeployEvents } from './events';
import { pruneImages } from './images';
import { DeploymentSignals } from './logs';
import { timedDockerCall } from './dockerCalls';
import { startStep } from './launch';
import { PipelineRun } from './PipelineRun';
import { buildStep, reuseImageStep } from './steps/build';
import { healthStep } from './steps/health';
import { sourceStep } from './steps/source';
import { switchStep } from './steps/switch';

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
 * switch (a rollback reuses its image instead of source and build). Each
 * step registers the cleanup of what it creates on the run's cleanup stack
 * (checkout, image, container); the switch releases what must survive. Any
 * failure before the switch unwinds that stack, so the previous deployment
 * keeps serving, and the deployment ends `failed` (or `cancelled`) with the
 * step and the reason.
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
  const run = await PipelineRun.open(deps, claimed, signal);
  await run.announce(run.deployment, 'cloning');
  try {
    await engineStep(run);
    const imageTag = run.isRollback
      ? await reuseImageStep(run)
      : await sourceAndBuild(run);
    const started = await startStep(run, imageTag);
    await healthStep(run, started);
    if ((await switchStep(run, started, onServing)) === 'serving') {
      await pruneStep(run);
    }
  } catch (error) {
    await endUnsuccessful(run, error);
  }
}

/** The engine must answer before anything is created. */
async function engineStep(run: PipelineRun): Promise<void> {
  run.stepName = 'engine';
  run.log(`Claimed by backend instance ${run.claimed.claimedBy}`);
  await pingEngine(run.deps.docker, run.deps.dockerEndpoint, run.apiSeconds);
}

/** Checkout and build; the checkout is removed once the image exists. */
async function sourceAndBuild(run: PipelineRun): Promise<string> {
  const source = await sourceStep(run);
  const imageTag = await buildStep(run, source);
  await source.removal.run();
  return imageTag;
}

/** After a switch: the app's old images beyond keepImages go. */
async function pruneStep(run: PipelineRun): Promise<void> {
  const { docker, store, deployConfig, logger } = run.deps;
  run.stepName = 'cleanup';
  const removed = await pruneImages({
    docker,
    store,
    names: run.names,
    app: run.claimed.app,
    keep: deployConfig.keepImages,
    logger,
  }).catch(error => {
    logger.warn(
      `Could not prune the old images of app ${run.claimed.app}: ${errorMessage(
        error,
      )}`,
    );
    return [];
  });
  if (removed.length) run.log(`Removed old images: ${removed.join(', ')}`);
  await run.flushLog();
}

/**
 * A failure or an abort: what this run created is removed (newest first),
 * then the deployment ends `failed` or `cancelled`, unless it already
 * switched and serves.
 */
async function endUnsuccessful(run: PipelineRun, error: unknown) {
  const { deps, signal, stepName } = run;
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
  run.log(message);
  await run.cleanup.unwind();
  // A deployment that already switched is serving: never mark it failed.
  const ended = await deps.store.deployments.transition(
    run.id,
    ACTIVE_STATUSES,
    finalStatus,
    { error: message },
  );
  await run.flushLog();
  if (ended) {
    await run.announce(run.deployment, finalStatus, { error: message });
  }
  deps.logger.info(`Deployment ${run.id} of ${run.claimed.app}: ${message}`);
}
