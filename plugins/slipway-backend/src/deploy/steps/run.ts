import type Docker from 'dockerode';
import type { ContainerLimits } from '../config';
import { statusOf, timedDockerCall } from '../dockerCalls';

/** Options of {@link startContainer}. */
export interface StartContainerOptions {
  docker: Docker;
  image: string;
  name: string;
  port: number;
  env: Record<string, string>;
  labels: Record<string, string>;
  /** Effective memory and CPUs (see effectiveResources). */
  resources: { memoryMb: number; cpus: number };
  /** PIDs, log driver and privilege settings. */
  limits: ContainerLimits;
  /** The app's own network (see ensureAppNetwork). */
  network: string;
  publishHost: string;
  /** Bound of each Docker API call. */
  apiSeconds: number;
  /**
   * The Docker HEALTHCHECK to give the container; undefined keeps the
   * image's own. Traefik's Docker provider skips containers that are not
   * healthy, so it never routes to one that has not passed this check.
   */
  healthcheck?: Docker.HealthConfig;
  signal: AbortSignal;
}

/** The HEALTHCHECK the engine adds for an HTTP health path. */
export function httpHealthcheck(
  port: number,
  path: string,
  intervalMs: number,
): Docker.HealthConfig {
  const url = `http://127.0.0.1:${port}${path}`;
  const ms = 1_000_000;
  return {
    // Shell form so that whichever of wget or curl the image has is used.
    Test: [
      'CMD-SHELL',
      `wget -q -O /dev/null '${url}' || curl -fsS -o /dev/null '${url}'`,
    ],
    Interval: intervalMs * ms,
    // A busy host runs the check slowly; a short timeout would flap.
    Timeout: Math.max(intervalMs * 2, 5000) * ms,
    Retries: 3,
  };
}

/**
 * The name holds the id of the deployment being run right now, so a
 * container that already has it cannot be serving this database's app: it is
 * left over from an earlier database (e.g. in-memory SQLite before a restart,
 * whose ids start again at 1). Removing it lets the deployment proceed.
 */
async function removeLeftoverContainer(options: StartContainerOptions) {
  await timedDockerCall(
    `remove leftover container ${options.name}`,
    options.apiSeconds,
    abortSignal =>
      options.docker
        .getContainer(options.name)
        .remove({ force: true, abortSignal } as object),
    options.signal,
  ).catch(error => {
    if (statusOf(error) !== 404) throw error;
  });
}

/** HostConfig of an app container: the safe defaults and the port. */
export function hostConfigFor(
  options: Pick<
    StartContainerOptions,
    'resources' | 'limits' | 'network' | 'publishHost' | 'port'
  >,
): Docker.HostConfig {
  const { resources, limits } = options;
  return {
    Init: true,
    NetworkMode: options.network,
    PortBindings: {
      [`${options.port}/tcp`]: [{ HostIp: options.publishHost, HostPort: '' }],
    },
    Memory: resources.memoryMb * 1024 * 1024,
    // No swap beyond the memory limit.
    MemorySwap: resources.memoryMb * 1024 * 1024,
    NanoCpus: Math.round(resources.cpus * 1e9),
    PidsLimit: limits.pidsLimit,
    SecurityOpt: limits.allowPrivilegeEscalation
      ? []
      : ['no-new-privileges:true'],
    LogConfig: {
      Type: 'json-file',
      Config: {
        'max-size': limits.logMaxSize,
        'max-file': String(limits.logMaxFiles),
      },
    },
    RestartPolicy: { Name: 'unless-stopped' },
  };
}

/**
 * Step 3 — run: creates and starts the container with its labels, env,
 * limits and an init process on the app's own network, publishing the port
 * on the configured host address at an ephemeral port.
 */
export async function startContainer(
  options: StartContainerOptions,
): Promise<{ containerId: string; hostPort: number; url: string }> {
  const { docker, port, apiSeconds, signal } = options;
  const portKey = `${port}/tcp`;
  await removeLeftoverContainer(options);
  const container = await timedDockerCall(
    `create container ${options.name}`,
    apiSeconds,
    abortSignal =>
      docker.createContainer({
        name: options.name,
        Image: options.image,
        Env: Object.entries(options.env).map(([k, v]) => `${k}=${v}`),
        Labels: options.labels,
        ExposedPorts: { [portKey]: {} },
        Healthcheck: options.healthcheck,
        HostConfig: hostConfigFor(options),
        abortSignal,
      } as Docker.ContainerCreateOptions),
    signal,
  );
  await timedDockerCall(
    `start container ${options.name}`,
    apiSeconds,
    abortSignal => container.start({ abortSignal } as object),
    signal,
  );
  const info = await timedDockerCall(
    `inspect container ${options.name}`,
    apiSeconds,
    abortSignal => container.inspect({ abortSignal } as object),
    signal,
  );
  const binding = info.NetworkSettings.Ports?.[portKey]?.[0];
  if (!binding?.HostPort) {
    throw new Error(
      `the engine did not publish port ${port}; check that nothing else claims it`,
    );
  }
  const hostPort = Number(binding.HostPort);
  return {
    containerId: container.id,
    hostPort,
    url: publishedUrl(options.publishHost, hostPort),
  };
}

/** The URL of a container port published on `publishHost`. */
export function publishedUrl(publishHost: string, hostPort: number): string {
  const host = publishHost.includes(':') ? `[${publishHost}]` : publishHost;
  return `http://${host}:${hostPort}`;
}

/**
 * Stops (SIGTERM, then SIGKILL after `timeoutSeconds`) and removes. Each
 * call is bounded by `apiSeconds` (the stop by the grace period plus that).
 */
export async function removeContainer(
  docker: Docker,
  idOrName: string,
  timeoutSeconds = 10,
  apiSeconds = 60,
): Promise<void> {
  const container = docker.getContainer(idOrName);
  await timedDockerCall(
    `stop container ${idOrName}`,
    timeoutSeconds + apiSeconds,
    abortSignal => container.stop({ t: timeoutSeconds, abortSignal }),
  ).catch(error => {
    // 304 already stopped, 404 already gone.
    if (![304, 404].includes(statusOf(error))) throw error;
  });
  await timedDockerCall(
    `remove container ${idOrName}`,
    apiSeconds,
    abortSignal => container.remove({ force: true, abortSignal }),
  ).catch(error => {
    if (![404, 409].includes(statusOf(error))) throw error;
  });
}

/**
 * Refuses an image that sets its own `traefik.*` labels: the engine's labels
 * override only keys it sets itself, so an image label such as
 * `traefik.http.routers.x.rule` would add a router for any host.
 */
export function assertNoProxyLabels(
  labels: Record<string, string> | null | undefined,
  image: string,
): void {
  const own = Object.keys(labels ?? {}).filter(key =>
    key.toLowerCase().startsWith('traefik.'),
  );
  if (own.length) {
    throw new Error(
      `the image ${image} carries its own Traefik labels (${own
        .slice(0, 5)
        .join(
          ', ',
        )}); images may not set traefik.* labels, because they could route other hosts to this app. Remove those LABEL lines from the Dockerfile (and its base image).`,
    );
  }
}
