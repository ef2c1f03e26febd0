import type { SlipwayHealth } from '@slipway/plugin-slipway-common';
import type Docker from 'dockerode';
import { Knex } from 'knex';

const DOCKER_PING_TIMEOUT_MS = 2000;

function withTimeout<T>(promise: Promise<T>, ms: number, what: string) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not answer within ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Checks the database and the Docker engine. Never throws: an unreachable
 * dependency is reported with the reason, so the endpoint itself stays up.
 */
export async function checkHealth(options: {
  knex: Knex;
  docker: Docker;
  dockerEndpoint: string;
}): Promise<SlipwayHealth> {
  const { knex, docker, dockerEndpoint } = options;
  const client = String(knex.client.config.client);

  let database: SlipwayHealth['database'];
  try {
    await withTimeout(knex.raw('select 1'), 5000, 'The database');
    database = { status: 'ok', client };
  } catch (error) {
    database = { status: 'unavailable', client, message: reason(error) };
  }

  let dockerHealth: SlipwayHealth['docker'];
  try {
    const version = await withTimeout(
      docker.version(),
      DOCKER_PING_TIMEOUT_MS,
      `The Docker engine at ${dockerEndpoint}`,
    );
    dockerHealth = {
      status: 'ok',
      endpoint: dockerEndpoint,
      apiVersion: version.ApiVersion,
      message: `Docker ${version.Version}`,
    };
  } catch (error) {
    dockerHealth = {
      status: 'unavailable',
      endpoint: dockerEndpoint,
      message: `The Docker engine at ${dockerEndpoint} is not reachable: ${reason(
        error,
      )}`,
    };
  }

  return {
    status:
      database.status === 'ok' && dockerHealth.status === 'ok'
        ? 'ok'
        : 'degraded',
    database,
    docker: dockerHealth,
  };
}
