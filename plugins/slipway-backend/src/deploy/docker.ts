import { Config } from '@backstage/config';
import Docker from 'dockerode';

/** Where the Docker engine is reached, as configured or from DOCKER_HOST. */
export interface DockerEndpoint {
  options: Docker.DockerOptions;
  /** Human-readable address, for error messages and the health report. */
  description: string;
}

const DEFAULT_SOCKET = '/var/run/docker.sock';

/**
 * Resolves `slipway.deploy.docker`, falling back to DOCKER_HOST and then the
 * default socket. Only unix sockets and plain TCP/HTTP(S) hosts are accepted.
 */
export function resolveDockerEndpoint(
  config: Config,
  env: NodeJS.ProcessEnv = process.env,
): DockerEndpoint {
  const docker = config.getOptionalConfig('slipway.deploy.docker');
  const socketPath = docker?.getOptionalString('socketPath');
  if (socketPath) {
    return { options: { socketPath }, description: `unix://${socketPath}` };
  }
  const host = docker?.getOptionalString('host');
  if (host) {
    const port = docker?.getOptionalNumber('port') ?? 2375;
    const protocol = (docker?.getOptionalString('protocol') ?? 'http') as
      | 'http'
      | 'https';
    return {
      options: { host, port, protocol },
      description: `${protocol}://${host}:${port}`,
    };
  }
  const fromEnv = env.DOCKER_HOST;
  if (fromEnv) {
    if (fromEnv.startsWith('unix://')) {
      const path = fromEnv.slice('unix://'.length);
      return { options: { socketPath: path }, description: fromEnv };
    }
    const url = new URL(fromEnv.replace(/^tcp:/, 'http:'));
    return {
      options: {
        host: url.hostname,
        port: Number(url.port || 2375),
        protocol: url.protocol === 'https:' ? 'https' : 'http',
      },
      description: fromEnv,
    };
  }
  return {
    options: { socketPath: DEFAULT_SOCKET },
    description: `unix://${DEFAULT_SOCKET}`,
  };
}

/** A dockerode client for the endpoint; it does not pin an API version. */
export function createDockerClient(endpoint: DockerEndpoint): Docker {
  return new Docker({ ...endpoint.options, timeout: 0 });
}
