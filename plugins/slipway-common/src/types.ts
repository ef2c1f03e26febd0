// The shapes of the HTTP API are generated from the backend's openapi.yaml
// (./generated, `yarn schema:generate`); their documentation is written
// there. The types below are what the spec cannot say as precisely.
import type {
  ComponentHealth,
  DeploymentStatus,
  OasisEvent,
  OasisStatus,
} from './generated';

export type {
  AutoDeploySpec,
  ComponentHealth,
  Deployment,
  DeploymentStatus,
  HealthCheckSpec,
  OasisEvent,
  OasisStatus,
  App as SlipwayApp,
} from './generated';

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
