import type { Deployment, SlipwayApp } from '@slipway/plugin-slipway-common';
import { AppRecord, DeploymentRecord } from './records';

/** The public shape of an app: secret values replaced by their names. */
export function toPublicApp(
  app: AppRecord,
  current?: DeploymentRecord,
): SlipwayApp {
  return {
    name: app.name,
    repoUrl: app.repoUrl,
    ref: app.ref,
    contextPath: app.contextPath,
    dockerfilePath: app.dockerfilePath,
    port: app.port,
    env: app.env,
    secretEnvKeys: Object.keys(app.secretEnv).sort(),
    resources: app.resources,
    healthCheck: app.healthCheck,
    entityRef: app.entityRef,
    autoDeploy: app.autoDeploy,
    createdAt: app.createdAt,
    updatedAt: app.updatedAt,
    currentDeployment: current ? toPublicDeployment(current) : undefined,
    url: current?.url,
  };
}

/** The public shape of a deployment: no configuration snapshot, no secrets. */
export function toPublicDeployment(deployment: DeploymentRecord): Deployment {
  const {
    config: _config,
    claimedBy: _claimedBy,
    claimCount: _claimCount,
    heartbeatMs: _heartbeat,
    cancelRequested: _cancel,
    trigger: _trigger,
    ...rest
  } = deployment;
  return rest;
}
