import type Docker from 'dockerode';
import { timedDockerCall } from '../dockerCalls';
import type { StartedContainer } from '../launch';
import type { PipelineRun } from '../PipelineRun';

/** Options of {@link waitUntilHealthy}. */
export interface WaitHealthyOptions {
  docker: Docker;
  containerId: string;
  /** Published address of the container, e.g. http://127.0.0.1:49153. */
  url: string;
  /** HTTP path to check; undefined when only the image's HEALTHCHECK counts. */
  path?: string;
  timeoutSeconds: number;
  intervalMs: number;
  /**
   * Whether Docker must report `healthy` too ('require'), or only must not
   * report `unhealthy` ('unlessUnhealthy'). The switch waits for Docker
   * health before it stops the old container, so the pipeline need not.
   */
  dockerHealth?: 'require' | 'unlessUnhealthy';
  log: (line: string) => void;
  signal: AbortSignal;
  /** Bound of each Docker API call, default 60 s. */
  apiSeconds?: number;
  /** The setting that gave timeoutSeconds, named when it runs out. */
  timeoutSetting?: string;
}

function sleep(ms: number, signal: AbortSignal) {
  return new Promise<void>(resolve => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/**
 * Step 4 — health: the container must answer 2xx on the path through its
 * published port AND, when it has a Docker HEALTHCHECK, be `healthy` in the
 * engine (that is what Traefik routes by). Fails on timeout, on an exited
 * container, or on `unhealthy`.
 */
export async function waitUntilHealthy(
  options: WaitHealthyOptions,
): Promise<void> {
  const { docker, log, signal } = options;
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  const container = docker.getContainer(options.containerId);
  let httpOk = options.path === undefined;
  let lastProblem = 'no check completed yet';
  let attempts = 0;
  // Bounded by the deadline; the count bound guards against a clock jump.
  while (attempts++ < 100_000) {
    if (signal.aborted) throw new Error('The health check was aborted');
    const info = await timedDockerCall(
      'inspect of the new container',
      options.apiSeconds ?? 60,
      abortSignal => container.inspect({ abortSignal } as object),
      signal,
    );
    if (!info.State.Running) {
      throw new Error(
        `the container exited with code ${
          info.State.ExitCode
        } before it became healthy; see its logs with docker logs ${info.Name.replace(
          /^\//,
          '',
        )}`,
      );
    }
    if (!httpOk && options.path !== undefined) {
      try {
        const response = await fetch(`${options.url}${options.path}`, {
          signal: AbortSignal.any([signal, AbortSignal.timeout(2000)]),
          redirect: 'manual',
        });
        await response.arrayBuffer().catch(() => undefined);
        if (response.status >= 200 && response.status < 300) {
          httpOk = true;
          log(`GET ${options.path} answered ${response.status}`);
        } else {
          lastProblem = `GET ${options.path} answered ${response.status}`;
        }
      } catch (error) {
        lastProblem = `GET ${options.path} failed: ${(error as Error).message}`;
      }
    }
    const health = info.State.Health?.Status;
    if (health === 'unhealthy') {
      const last = info.State.Health?.Log?.slice(-1)[0];
      // One line: the probe's output often has several (e.g. a wget error,
      // then the shell's "curl: not found"), and the error is shown as one.
      const output = last?.Output.trim().replace(/\s*\n\s*/g, '; ');
      throw new Error(
        `Docker reports the container unhealthy${
          last ? ` (exit ${last.ExitCode}: ${output?.slice(0, 200)})` : ''
        }`,
      );
    }
    const dockerOk =
      health === undefined ||
      health === 'healthy' ||
      options.dockerHealth === 'unlessUnhealthy';
    if (httpOk && dockerOk) {
      const checks = [
        options.path !== undefined ? 'HTTP check' : undefined,
        health === 'healthy' ? 'Docker HEALTHCHECK' : undefined,
      ].filter(Boolean);
      log(`Healthy (${checks.join(' and ') || 'no check'})`);
      return;
    }
    if (httpOk && !dockerOk) lastProblem = `Docker health is "${health}"`;
    if (Date.now() >= deadline) {
      throw new Error(
        `not healthy within ${options.timeoutSeconds} s${
          options.timeoutSetting ? ` (${options.timeoutSetting})` : ''
        }: ${lastProblem}`,
      );
    }
    await sleep(options.intervalMs, signal);
  }
  throw new Error('the health check gave up after too many attempts');
}

/** How long the new container may take to become healthy. */
export function healthTimeoutSeconds(run: PipelineRun): number {
  return (
    run.claimed.config.healthCheck?.timeoutSeconds ??
    run.deps.deployConfig.timeouts.healthSeconds
  );
}

/**
 * The health step of the pipeline: the new container must pass its checks
 * before any traffic reaches it.
 */
export async function healthStep(
  run: PipelineRun,
  started: StartedContainer,
): Promise<void> {
  const { store, docker } = run.deps;
  const { config } = run.claimed;
  await run.advance('health_checking', 'health', {
    containerId: started.containerId,
    url: started.url,
  });
  const checkPath = config.healthCheck?.path ?? started.healthPath;
  // With a version already serving, the switch waits for Docker's health
  // verdict before the old container stops; waiting here too would only
  // delay the new URL by a Docker health interval.
  const serving = Boolean(
    (await store.apps.get(run.claimed.app))?.currentDeploymentId,
  );
  await waitUntilHealthy({
    docker,
    containerId: started.containerId,
    url: started.url,
    path: checkPath,
    timeoutSeconds: healthTimeoutSeconds(run),
    intervalMs: 100,
    dockerHealth:
      serving && checkPath !== undefined ? 'unlessUnhealthy' : 'require',
    log: run.log,
    signal: run.signal,
    apiSeconds: run.apiSeconds,
    timeoutSetting:
      config.healthCheck?.timeoutSeconds !== undefined
        ? "the app's healthCheck.timeoutSeconds"
        : 'slipway.deploy.timeouts.healthSeconds',
  });
}
