import { Config } from '@backstage/config';
import os from 'node:os';
import { validateInstallationId } from './names';

/** Limits and defaults of app containers (`slipway.deploy.containers`). */
export interface ContainerLimits {
  /** Max processes per container. */
  pidsLimit: number;
  defaultMemoryMb: number;
  maxMemoryMb: number;
  defaultCpus: number;
  maxCpus: number;
  /** json-file log driver `max-size`, e.g. "10m". */
  logMaxSize: string;
  /** json-file log driver `max-file`. */
  logMaxFiles: number;
  /** true drops `no-new-privileges` (setuid binaries work again). */
  allowPrivilegeEscalation: boolean;
}

/** Timeouts of the deployment steps, in seconds. */
export interface DeployTimeouts {
  cloneSeconds: number;
  buildSeconds: number;
  dockerApiSeconds: number;
  healthSeconds: number;
}

/** Effective `slipway.deploy` settings, defaults applied. */
export interface DeployConfig {
  /** Separates installations sharing one Docker engine. */
  installationId: string;
  baseDomain: string;
  publishHost: string;
  workDir: string;
  maxConcurrentBuilds: number;
  keepImages: number;
  /** Seconds the old container keeps serving after the switch. */
  drainSeconds: number;
  /** Seconds the old container gets to stop after SIGTERM. */
  stopTimeoutSeconds: number;
  /** Safety poll for work queued by another instance. */
  pollIntervalMs: number;
  /** A claimed deployment whose heartbeat is older than this is abandoned. */
  staleAfterMs: number;
  /** Limits for `docker build`, so a build cannot take the host down. */
  build: { memoryMb: number; cpus: number; timeoutSeconds: number };
  /** Interval of the Docker HEALTHCHECK the engine gives containers. */
  dockerHealthIntervalMs: number;
  containers: ContainerLimits;
  /** Per-app loosening (or tightening) of `containers`, by app name. */
  containersPerApp: Record<string, Partial<ContainerLimits>>;
  timeouts: DeployTimeouts;
  /** Stored log bytes per deployment; older lines are dropped beyond. */
  logMaxBytesPerDeployment: number;
  /** A container (e.g. Traefik) connected to every app network. */
  proxyContainer?: string;
}

function readLimits(
  c: Config | undefined,
  fallback?: ContainerLimits,
): Partial<ContainerLimits> {
  const pick = <T>(value: T | undefined, def: T | undefined) => value ?? def;
  const out: Partial<ContainerLimits> = {
    pidsLimit: pick(c?.getOptionalNumber('pidsLimit'), fallback?.pidsLimit),
    defaultMemoryMb: pick(
      c?.getOptionalNumber('defaultMemoryMb'),
      fallback?.defaultMemoryMb,
    ),
    maxMemoryMb: pick(
      c?.getOptionalNumber('maxMemoryMb'),
      fallback?.maxMemoryMb,
    ),
    defaultCpus: pick(
      c?.getOptionalNumber('defaultCpus'),
      fallback?.defaultCpus,
    ),
    maxCpus: pick(c?.getOptionalNumber('maxCpus'), fallback?.maxCpus),
    logMaxSize: pick(c?.getOptionalString('logMaxSize'), fallback?.logMaxSize),
    logMaxFiles: pick(
      c?.getOptionalNumber('logMaxFiles'),
      fallback?.logMaxFiles,
    ),
    allowPrivilegeEscalation: pick(
      c?.getOptionalBoolean('allowPrivilegeEscalation'),
      fallback?.allowPrivilegeEscalation,
    ),
  };
  return Object.fromEntries(
    Object.entries(out).filter(([, v]) => v !== undefined),
  ) as Partial<ContainerLimits>;
}

const DEFAULT_LIMITS: ContainerLimits = {
  pidsLimit: 512,
  defaultMemoryMb: 512,
  maxMemoryMb: 4096,
  defaultCpus: 1,
  maxCpus: 4,
  logMaxSize: '10m',
  logMaxFiles: 3,
  allowPrivilegeEscalation: false,
};

function readContainers(deploy: Config | undefined) {
  const c = deploy?.getOptionalConfig('containers');
  const containers = readLimits(c, DEFAULT_LIMITS) as ContainerLimits;
  const perApp: Record<string, Partial<ContainerLimits>> = {};
  const apps = c?.getOptionalConfig('apps');
  for (const name of apps?.keys() ?? []) {
    perApp[name] = readLimits(apps!.getConfig(name));
  }
  return { containers, perApp };
}

/** The container limits of one app: the defaults with its overrides. */
export function limitsForApp(cfg: DeployConfig, app: string): ContainerLimits {
  return { ...cfg.containers, ...cfg.containersPerApp[app] };
}

/** Reads `slipway.deploy` with its documented defaults. */
export function readDeployConfig(config: Config): DeployConfig {
  const deploy = config.getOptionalConfig('slipway.deploy');
  const build = deploy?.getOptionalConfig('build');
  const timeouts = deploy?.getOptionalConfig('timeouts');
  const buildSeconds =
    timeouts?.getOptionalNumber('buildSeconds') ??
    build?.getOptionalNumber('timeoutSeconds') ??
    900;
  const { containers, perApp } = readContainers(deploy);
  return {
    installationId: validateInstallationId(
      deploy?.getOptionalString('installationId') ?? 'default',
    ),
    baseDomain: deploy?.getOptionalString('baseDomain') ?? 'localhost',
    publishHost: deploy?.getOptionalString('publishHost') ?? '127.0.0.1',
    workDir: deploy?.getOptionalString('workDir') ?? os.tmpdir(),
    maxConcurrentBuilds: deploy?.getOptionalNumber('maxConcurrentBuilds') ?? 2,
    keepImages: deploy?.getOptionalNumber('keepImages') ?? 5,
    drainSeconds: deploy?.getOptionalNumber('drainSeconds') ?? 2,
    stopTimeoutSeconds: deploy?.getOptionalNumber('stopTimeoutSeconds') ?? 10,
    pollIntervalMs: deploy?.getOptionalNumber('pollIntervalMs') ?? 5000,
    staleAfterMs: deploy?.getOptionalNumber('staleAfterMs') ?? 30000,
    build: {
      memoryMb: build?.getOptionalNumber('memoryMb') ?? 2048,
      cpus: build?.getOptionalNumber('cpus') ?? 1,
      timeoutSeconds: buildSeconds,
    },
    dockerHealthIntervalMs:
      deploy?.getOptionalNumber('dockerHealthIntervalMs') ?? 1000,
    containers,
    containersPerApp: perApp,
    timeouts: {
      cloneSeconds: timeouts?.getOptionalNumber('cloneSeconds') ?? 300,
      buildSeconds,
      dockerApiSeconds: timeouts?.getOptionalNumber('dockerApiSeconds') ?? 60,
      healthSeconds: timeouts?.getOptionalNumber('healthSeconds') ?? 60,
    },
    logMaxBytesPerDeployment:
      deploy?.getOptionalNumber('logs.maxBytesPerDeployment') ??
      5 * 1024 * 1024,
    proxyContainer: deploy?.getOptionalString('containers.proxyContainer'),
  };
}
