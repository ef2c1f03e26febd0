import type Docker from 'dockerode';

/** Options of {@link startContainer}. */
export interface StartContainerOptions {
  docker: Docker;
  image: string;
  name: string;
  port: number;
  env: Record<string, string>;
  labels: Record<string, string>;
  resources: { memoryMb?: number; cpus?: number };
  publishHost: string;
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
async function removeLeftoverContainer(docker: Docker, name: string) {
  try {
    await docker.getContainer(name).remove({ force: true });
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== 404) {
      throw error;
    }
  }
}

/**
 * Step 3 — run: creates and starts the container with its labels, env,
 * limits and an init process, publishing the port on the configured host
 * address at an ephemeral port.
 */
export async function startContainer(
  options: StartContainerOptions,
): Promise<{ containerId: string; hostPort: number; url: string }> {
  const { docker, port, resources } = options;
  const portKey = `${port}/tcp`;
  await removeLeftoverContainer(docker, options.name);
  const container = await docker.createContainer({
    name: options.name,
    Image: options.image,
    Env: Object.entries(options.env).map(([k, v]) => `${k}=${v}`),
    Labels: options.labels,
    ExposedPorts: { [portKey]: {} },
    Healthcheck: options.healthcheck,
    HostConfig: {
      Init: true,
      PortBindings: {
        [portKey]: [{ HostIp: options.publishHost, HostPort: '' }],
      },
      Memory: resources.memoryMb ? resources.memoryMb * 1024 * 1024 : undefined,
      NanoCpus: resources.cpus ? Math.round(resources.cpus * 1e9) : undefined,
      RestartPolicy: { Name: 'unless-stopped' },
    },
    abortSignal: options.signal,
  } as Docker.ContainerCreateOptions);
  await container.start({ abortSignal: options.signal } as object);
  const info = await container.inspect();
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

/** Stops (SIGTERM, then SIGKILL after `timeoutSeconds`) and removes. */
export async function removeContainer(
  docker: Docker,
  idOrName: string,
  timeoutSeconds = 10,
): Promise<void> {
  const container = docker.getContainer(idOrName);
  try {
    await container.stop({ t: timeoutSeconds });
  } catch (error) {
    // 304 already stopped, 404 already gone.
    if (
      ![304, 404].includes((error as { statusCode?: number }).statusCode ?? 0)
    )
      throw error;
  }
  try {
    await container.remove({ force: true });
  } catch (error) {
    if (
      ![404, 409].includes((error as { statusCode?: number }).statusCode ?? 0)
    )
      throw error;
  }
}
