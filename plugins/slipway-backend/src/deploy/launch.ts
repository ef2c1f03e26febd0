import { InstallationNames } from './names';
import type { PipelineDeps } from './pipeline';
import { DeploymentRecord } from './store/records';
import { timedDockerCall } from './dockerCalls';
import { limitsForApp } from './config';
import { ensureAppNetwork } from './steps/network';
import {
  assertNoProxyLabels,
  httpHealthcheck,
  startContainer,
} from './steps/run';

/** Inspects the image to run; refuses one that routes by its own labels. */
export async function inspectImageToRun(
  deps: PipelineDeps,
  imageTag: string,
  isRollback: boolean,
  signal: AbortSignal,
) {
  const image = await timedDockerCall(
    `inspect image ${imageTag}`,
    deps.deployConfig.timeouts.dockerApiSeconds,
    abortSignal =>
      deps.docker.getImage(imageTag).inspect({ abortSignal } as object),
    signal,
  ).catch(error => {
    if (!isRollback) throw error;
    throw new Error(
      `the image ${imageTag} is gone (only the newest slipway.deploy.keepImages images are kept); deploy the ref again instead`,
    );
  });
  assertNoProxyLabels(image.Config?.Labels, imageTag);
  return image;
}

/**
 * The run step after the checks: the app's network, then its container
 * with this installation's names and labels and the app's limits.
 */
export async function launchContainer(
  deps: PipelineDeps,
  options: {
    deployment: DeploymentRecord;
    image: string;
    name: string;
    /** HTTP path of the Docker HEALTHCHECK; undefined keeps the image's. */
    healthPath?: string;
    resources: { memoryMb: number; cpus: number };
    signal: AbortSignal;
  },
) {
  const { docker, deployConfig: cfg } = deps;
  const { deployment, healthPath, signal } = options;
  const { app, config } = deployment;
  const names = new InstallationNames(cfg.installationId);
  const apiSeconds = cfg.timeouts.dockerApiSeconds;
  const network = names.networkName(app);
  await ensureAppNetwork({
    docker,
    name: network,
    labels: names.ownerLabels(app),
    proxyContainer: cfg.proxyContainer,
    apiSeconds,
    signal,
  });
  return startContainer({
    docker,
    image: options.image,
    name: options.name,
    port: config.port,
    // Secrets are opened only here, for the container's own env.
    env: {
      ...config.env,
      ...deps.store.secrets.openEnv(app, config.secretEnv),
    },
    labels: names.containerLabels({
      app,
      deploymentId: deployment.id,
      port: config.port,
      baseDomain: cfg.baseDomain,
    }),
    resources: options.resources,
    limits: limitsForApp(cfg, app),
    network,
    publishHost: cfg.publishHost,
    apiSeconds,
    healthcheck:
      healthPath === undefined
        ? undefined
        : httpHealthcheck(
            config.port,
            healthPath,
            (config.healthCheck?.intervalSeconds ?? 0) * 1000 ||
              cfg.dockerHealthIntervalMs,
          ),
    signal,
  });
}
