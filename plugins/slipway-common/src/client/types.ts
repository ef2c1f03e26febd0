import type { CicdStatus } from '../generated';
import type {
  Deployment,
  DeploymentStatus,
  OasisEvent,
  OasisStatus,
  Page,
  SlipwayApp,
  SlipwayHealth,
} from '../types';
import type { ReconnectInfo, ReconnectOptions } from './reconnect';

// Bodies of `GET /cicd/status`, generated from openapi.yaml.
export type { CicdStatus, WorkflowRunSummary } from '../generated';

/**
 * Filters of `GET /events` and `GET /events/stream`. Every field narrows the
 * result; absent fields do not filter.
 *
 * @public
 */
export interface OasisEventFilter {
  vtid?: string;
  source?: string;
  kind?: string;
  status?: OasisStatus;
  entityRef?: string;
  repo?: string;
  ref?: string;
  /** ISO 8601 timestamp: only events created at or after it. */
  since?: string;
}

/**
 * Keyset paging of list endpoints.
 *
 * @public
 */
export interface PageRequest {
  /** 1 to 500; the backend defaults to 50. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

/**
 * One line of a deployment's build and run log (`LogLine` of the API).
 * {@link SlipwayHttpClient} always fills every field; they are optional so
 * that other {@link SlipwayApi} implementations (test doubles) may leave
 * them out.
 *
 * @public
 */
export interface DeploymentLogLine {
  /**
   * Id of the line, increasing within a deployment; a follow resumes after
   * the last one seen (`Last-Event-ID`).
   */
  id?: string;
  line: string;
  /** Pipeline step that wrote the line (clone, build, run, health, switch). */
  step?: string;
  /** ISO 8601 timestamp of when the line was stored. */
  createdAt?: string;
}

/**
 * Options of a live stream.
 *
 * @public
 */
export interface StreamOptions {
  signal?: AbortSignal;
  /** Called once the server has accepted the stream. */
  onOpen?: () => void;
}

/**
 * Options of {@link SlipwayApi.readDeploymentLogs}.
 *
 * @public
 */
export interface ReadDeploymentLogsOptions extends StreamOptions {
  follow?: boolean;
  onLines: (lines: DeploymentLogLine[]) => void;
  onStatus?: (status: DeploymentStatus) => void;
  /** With `follow`: start after this line id instead of the first line. */
  lastEventId?: string;
  /** With `follow`: the stream broke off and will reconnect after a wait. */
  onReconnecting?: (info: ReconnectInfo) => void;
  /**
   * With `follow`: how to reconnect, or `false` to end with the first
   * stream as it ends or fails.
   */
  reconnect?: ReconnectOptions | false;
}

/**
 * The Slipway HTTP API as seen from a client (browser or another service).
 *
 * @public
 */
export interface SlipwayApi {
  getHealth(): Promise<SlipwayHealth>;
  listEvents(
    filter?: OasisEventFilter,
    page?: PageRequest,
  ): Promise<Page<OasisEvent>>;
  /**
   * Follows `GET /events/stream` until the server ends it or the signal
   * aborts. With `lastEventId` the server first replays every matching event
   * after that id. Resolves when the server closes the stream.
   */
  streamEvents(
    filter: OasisEventFilter,
    options: StreamOptions & {
      lastEventId?: string;
      onEvent: (event: OasisEvent) => void;
    },
  ): Promise<void>;
  getCicdStatus(entityRef: string): Promise<CicdStatus>;
  getApp(name: string): Promise<SlipwayApp>;
  listDeployments(app: string, page?: PageRequest): Promise<Page<Deployment>>;
  getDeployment(id: string): Promise<Deployment>;
  deploy(app: string, options?: { ref?: string }): Promise<Deployment>;
  rollback(
    app: string,
    options?: { toDeploymentId?: string; restoreSecrets?: boolean },
  ): Promise<Deployment>;
  cancelDeployment(id: string): Promise<Deployment>;
  /**
   * Reads a deployment's log: without `follow` the stored lines, every page
   * of them, oldest first. With `follow` it keeps reading while the
   * deployment runs and resolves once the server reports its final status.
   * A follow that breaks off before that (a proxy's timeout, a network
   * failure, a backend restart, a 5xx answer) reconnects by itself after a
   * short backoff and resumes after the last line seen, so every line
   * arrives once and in order; `onOpen` is called again once it is back.
   * A 4xx answer other than 408 and 429 (the deployment is gone, access
   * denied) rejects at once.
   */
  readDeploymentLogs(
    id: string,
    options: ReadDeploymentLogsOptions,
  ): Promise<void>;
}
