import type {
  AutoDeploySpec,
  Deployment,
  DeploymentStatus,
  HealthCheckSpec,
} from '@slipway/plugin-slipway-common';

/** Statuses of a deployment that a worker is working on. */
export const ACTIVE_STATUSES: DeploymentStatus[] = [
  'cloning',
  'building',
  'starting',
  'health_checking',
];

/** Statuses after which a deployment does not change any more. */
export const TERMINAL_STATUSES: DeploymentStatus[] = [
  'failed',
  'cancelled',
  'superseded',
];

/** What a deployment runs with; kept per deployment for rollbacks. */
export interface DeploymentConfigSnapshot {
  repoUrl: string;
  contextPath: string;
  dockerfilePath: string;
  port: number;
  env: Record<string, string>;
  /**
   * Name → sealed value (`v1:<keyId>:...`, see secrets/SecretBox); opened
   * only to start the container. Never plaintext in a record or row.
   */
  secretEnv: Record<string, string>;
  resources: { memoryMb?: number; cpus?: number };
  healthCheck?: HealthCheckSpec;
}

/**
 * An app as stored, secret values sealed (never sent to clients). Its
 * configuration is exactly what each of its deployments snapshots.
 */
export interface AppRecord extends DeploymentConfigSnapshot {
  name: string;
  ref?: string;
  entityRef?: string;
  autoDeploy?: AutoDeploySpec;
  currentDeploymentId?: string;
  createdAt: string;
  updatedAt: string;
}

/**
 * Fields of a new or updated app, as a request gives them: `secretEnv`
 * holds plaintext values here, which the store seals before writing.
 */
export type AppInput = Omit<
  AppRecord,
  'createdAt' | 'updatedAt' | 'currentDeploymentId'
>;

/** A deployment as stored, with the worker's bookkeeping. */
export interface DeploymentRecord extends Deployment {
  trigger: string;
  config: DeploymentConfigSnapshot;
  claimedBy?: string;
  claimCount: number;
  heartbeatMs?: number;
  cancelRequested: boolean;
}

/** What a queued deployment is asked to deploy; unset fields come from the app. */
export interface DeploymentRequest {
  ref?: string;
  trigger: string;
  imageTag?: string;
  commitSha?: string;
  rollbackOf?: string;
  config?: DeploymentConfigSnapshot;
  /**
   * At most one deployment of an app carries a given key (a unique index):
   * auto-deploy queues each commit once, whatever replays it.
   */
  dedupKey?: string;
}

/** Fields the pipeline records on a deployment as it learns them. */
export type DeploymentFields = Partial<{
  commitSha: string;
  imageTag: string;
  containerId: string;
  url: string;
  error: string;
}>;

/** One stored log line of a deployment. */
export interface DeploymentLogLine {
  id: string;
  step: string;
  line: string;
  createdAt: string;
}
