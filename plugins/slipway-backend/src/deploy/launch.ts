import { InstallationNames } from './names';
import type { PipelineDeps } from './pipeline';
import type { PipelineRun } from './PipelineRun';
import { DeploymentRecord } from './store/records';
import { timedDockerCall } from './dockerCalls';
import { limitsForApp } from './config';
import { ensureAppNetwork } from './steps/network';
import {
  assertNoProxyLabels,
  httpHealthcheck,
  removeContainer,
  startContainer,
} from './steps/run';
import { effectiveResources } from './validation';

/** The new container, as the health and switch steps need it. */
export interface StartedContainer {
  containerId: string;
  url: string;
  /** The path of its Docker HEALTHCHECK; undefined when the image has its own. */
  healthPath?: string;
}

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

/**
 * The run step of the pipeline: checks the image, then starts the new
 * container. Its removal is registered before it is created, so a container
 * that was created but failed to start is removed too.
 */
export async function startStep(
  run: PipelineRun,
  imageTag: string,
): Promise<StartedContainer> {
  const { deps, claimed } = run;
  const { config } = claimed;
  const image = await inspectImageToRun(
    deps,
    imageTag,
    run.isRollback,
    run.signal,
  );
  const resources = effectiveResources(
    deps.deployConfig,
    claimed.app,
    config.resources,
  );
  await run.advance('starting', 'run');
  const healthPath =
    config.healthCheck?.path ??
    (image.Config?.Healthcheck?.Test?.length ? undefined : '/');
  const name = run.names.containerName(claimed.app, run.id);
  run.cleanup.defer(`remove container ${name}`, () =>
    removeContainer(deps.docker, name, 2),
  );
  const started = await launchContainer(deps, {
    deployment: claimed,
    image: imageTag,
    name,
    healthPath,
    resources,
    signal: run.signal,
  });
  await deps.store.deployments.setFields(run.id, {
    containerId: started.containerId,
    url: started.url,
  });
  run.log(`Started ${name}, published at ${started.url}`);
  return { containerId: started.containerId, url: started.url, healthPath };
}
