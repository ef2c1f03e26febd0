/**
 * Status of an OASIS event. The events table holds a check constraint with
 * exactly these values.
 *
 * @public
 */
export type OasisStatus =
  | 'queued'
  | 'in_progress'
  | 'success'
  | 'failure'
  | 'cancelled'
  | 'skipped'
  | 'info';

/**
 * All OASIS statuses, in lifecycle order.
 *
 * @public
 */
export const OASIS_STATUSES: readonly OasisStatus[] = [
  'queued',
  'in_progress',
  'success',
  'failure',
  'cancelled',
  'skipped',
  'info',
];

/**
 * One normalized event: a GitHub delivery, a deploy step, or anything another
 * system publishes.
 *
 * @public
 */
export interface OasisEvent {
  /** Monotonic id, as a decimal string (safe beyond 2^53). */
  id: string;
  /** ISO 8601 timestamp of when the event was stored. */
  createdAt: string;
  vtid: string;
  layer: string;
  module: string;
  source: string;
  kind: string;
  status: OasisStatus;
  title: string;
  ref: string | null;
  link: string | null;
  repo: string | null;
  entityRef: string | null;
  meta: Record<string, unknown>;
}

/**
 * What a publisher supplies; the store assigns id and createdAt.
 *
 * @public
 */
export type OasisEventInput = Omit<
  OasisEvent,
  'id' | 'createdAt' | 'vtid' | 'layer' | 'ref' | 'link' | 'repo' | 'entityRef'
> &
  Partial<
    Pick<OasisEvent, 'vtid' | 'layer' | 'ref' | 'link' | 'repo' | 'entityRef'>
  >;

/**
 * A page of a keyset-paginated list, newest first.
 *
 * @public
 */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/**
 * Status of a deployment.
 *
 * @public
 */
export type DeploymentStatus =
  | 'pending'
  | 'cloning'
  | 'building'
  | 'starting'
  | 'health_checking'
  | 'running'
  | 'failed'
  | 'cancelled'
  | 'superseded';

/**
 * Deployment statuses after which nothing changes any more, except that a
 * `running` deployment later becomes `superseded`.
 *
 * @public
 */
export const FINISHED_DEPLOYMENT_STATUSES: readonly DeploymentStatus[] = [
  'running',
  'failed',
  'cancelled',
  'superseded',
];

/**
 * Health check of a deployed container.
 *
 * @public
 */
export interface HealthCheckSpec {
  path: string;
  timeoutSeconds?: number;
  intervalSeconds?: number;
}

/**
 * When an app deploys by itself: signed GitHub deliveries (or Slipway's own
 * poller) of its own repository, never events published through
 * `POST /events`.
 *
 * - A successful `workflow_run` whose `event` is `push` or
 *   `workflow_dispatch`, on `branch`, from the app's repository (not a fork)
 *   deploys its head sha.
 * - `requireGreenCi` (default true): the commit deploys only once its CI is
 *   green. With `requiredWorkflows`, each named workflow (by name or by
 *   path, e.g. `.github/workflows/ci.yml`) must have a successful (or
 *   skipped) latest run for that commit; without it, every workflow run seen
 *   for the commit must have succeeded and none may still run.
 * - `requireGreenCi: false`: a push to `branch` deploys at once.
 *
 * Each commit is deployed by auto-deploy at most once per app.
 *
 * @public
 */
export interface AutoDeploySpec {
  branch: string;
  requireGreenCi?: boolean;
  requiredWorkflows?: string[];
}

/**
 * An app known to the deploy engine.
 *
 * @public
 */
export interface SlipwayApp {
  name: string;
  repoUrl: string;
  ref?: string;
  contextPath?: string;
  dockerfilePath?: string;
  port?: number;
  env?: Record<string, string>;
  /** Names only: secret values are never returned. */
  secretEnvKeys?: string[];
  /**
   * In the answer to `PATCH /apps/:name` only: secret env names dropped
   * because `repoUrl` changed and the request did not give `secretEnv`.
   */
  droppedSecretEnvKeys?: string[];
  resources?: { memoryMb?: number; cpus?: number };
  healthCheck?: HealthCheckSpec;
  entityRef?: string;
  autoDeploy?: AutoDeploySpec;
  createdAt: string;
  updatedAt: string;
  currentDeployment?: Deployment;
  url?: string;
}

/**
 * One deployment of an app.
 *
 * @public
 */
export interface Deployment {
  id: string;
  app: string;
  status: DeploymentStatus;
  ref?: string;
  commitSha?: string;
  imageTag?: string;
  containerId?: string;
  url?: string;
  error?: string;
  rollbackOf?: string;
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  finishedAt?: string;
}

/**
 * State of one dependency as reported by `GET /api/slipway/health`.
 *
 * @public
 */
export interface ComponentHealth {
  status: 'ok' | 'unavailable';
  /** Why it is unavailable, or what was reached. */
  message?: string;
}

/**
 * Body of `GET /api/slipway/health` for a signed-in user or a service.
 * Without credentials the endpoint answers only `{ status }`.
 *
 * @public
 */
export interface SlipwayHealth {
  status: 'ok' | 'degraded';
  database: ComponentHealth & { client?: string };
  docker: ComponentHealth & { endpoint: string; apiVersion?: string };
}
