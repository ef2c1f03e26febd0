import { Config } from '@backstage/config';
import os from 'node:os';

/** Effective `slipway.deploy` settings, defaults applied. */
export interface DeployConfig {
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
}

/** Reads `slipway.deploy` with its documented defaults. */
export function readDeployConfig(config: Config): DeployConfig {
  const deploy = config.getOptionalConfig('slipway.deploy');
  const build = deploy?.getOptionalConfig('build');
  return {
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
      timeoutSeconds: build?.getOptionalNumber('timeoutSeconds') ?? 900,
    },
    dockerHealthIntervalMs:
      deploy?.getOptionalNumber('dockerHealthIntervalMs') ?? 1000,
  };
}
