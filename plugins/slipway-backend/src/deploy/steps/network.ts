import type { LoggerService } from '@backstage/backend-plugin-api';
import type Docker from 'dockerode';
import { errorMessage } from '../cleanup';
import { timedDockerCall, statusOf } from '../dockerCalls';

/** Options of {@link ensureAppNetwork}. */
export interface AppNetworkOptions {
  docker: Docker;
  name: string;
  labels: Record<string, string>;
  /** A container (e.g. Traefik) that must reach the app: connected too. */
  proxyContainer?: string;
  apiSeconds: number;
  signal?: AbortSignal;
}

/**
 * The app's own bridge network, created when missing, so apps never reach
 * each other over the default bridge. An existing network of that name that
 * is not this installation's app network is refused.
 */
export async function ensureAppNetwork(
  options: AppNetworkOptions,
): Promise<void> {
  const { docker, name, labels, apiSeconds, signal } = options;
  const network = docker.getNetwork(name);
  const inspect = () =>
    timedDockerCall(
      `inspect network ${name}`,
      apiSeconds,
      abortSignal =>
        (network.inspect as (o: object) => Promise<unknown>)({
          abortSignal,
        }) as Promise<{
          Labels?: Record<string, string>;
        }>,
      signal,
    );
  let info = await inspect().catch(error => {
    if (statusOf(error) !== 404) throw error;
    return undefined;
  });
  if (!info) {
    await timedDockerCall(
      `create network ${name}`,
      apiSeconds,
      abortSignal =>
        docker.createNetwork({
          Name: name,
          Driver: 'bridge',
          CheckDuplicate: true,
          Labels: labels,
          abortSignal,
        } as Docker.NetworkCreateOptions),
      signal,
    ).catch(error => {
      // Created meanwhile by a concurrent deployment of the app.
      if (statusOf(error) === 409) return;
      if (/address pool/i.test(String((error as Error).message))) {
        throw new Error(
          `Docker has no free address pool for the app network ${name}: each app gets its own network, and the engine's default pools hold only a few dozen. Give the Docker daemon larger default-address-pools (e.g. base 10.200.0.0/16, size 24) or delete unused apps.`,
        );
      }
      throw error;
    });
    info = await inspect();
  }
  const mismatch = Object.entries(labels).find(
    ([key, value]) => info?.Labels?.[key] !== value,
  );
  if (mismatch) {
    throw new Error(
      `the Docker network ${name} exists but was not created by this Slipway installation (label ${mismatch[0]} is not "${mismatch[1]}"); remove it or change slipway.deploy.installationId`,
    );
  }
  if (options.proxyContainer) await connectProxy(options);
}

async function connectProxy(options: AppNetworkOptions) {
  const { docker, name, apiSeconds, signal } = options;
  await timedDockerCall(
    `connect ${options.proxyContainer} to network ${name}`,
    apiSeconds,
    abortSignal =>
      docker
        .getNetwork(name)
        .connect({ Container: options.proxyContainer, abortSignal } as object),
    signal,
  ).catch(error => {
    // 403/409: already connected.
    if (![403, 409].includes(statusOf(error))) {
      const text = String((error as Error).message);
      if (!/already exists|already attached/i.test(text)) throw error;
    }
  });
}

/** Removes the app's network; a missing one is fine. */
export async function removeAppNetwork(
  docker: Docker,
  name: string,
  apiSeconds: number,
  proxyContainer?: string,
  /** Told at debug when the proxy could not be disconnected (often: it was not connected). */
  logger?: Pick<LoggerService, 'debug'>,
): Promise<void> {
  if (proxyContainer) {
    await timedDockerCall(`disconnect ${proxyContainer}`, apiSeconds, s =>
      docker.getNetwork(name).disconnect({
        Container: proxyContainer,
        Force: true,
        abortSignal: s,
      } as object),
    ).catch(error =>
      logger?.debug(
        `Could not disconnect ${proxyContainer} from network ${name}: ${errorMessage(
          error,
        )}`,
      ),
    );
  }
  await timedDockerCall(`remove network ${name}`, apiSeconds, abortSignal =>
    docker.getNetwork(name).remove({ force: true, abortSignal } as object),
  ).catch(error => {
    if (statusOf(error) !== 404) throw error;
  });
}
