import { OasisEventInput } from '@slipway/plugin-slipway-common';
import { VtidExtractor } from './vtid';
import { EVENT_MAPPERS } from './githubEventMappers';
import { githubRunStatus, Json, link, str, title } from './githubPayload';

export { githubRunStatus };

/** GitHub events that become OASIS events; every other one is `ignored`. */
export const MAPPED_GITHUB_EVENTS = [
  'workflow_run',
  'workflow_job',
  'check_run',
  'check_suite',
  'pull_request',
  'push',
] as const;

/** An event to store, with the key that deduplicates it (if any). */
export interface MappedEvent {
  input: OasisEventInput;
  /**
   * Same key, same fact: a workflow run seen by the webhook and by the
   * polling fallback is stored once.
   */
  dedupKey?: string;
}

/** Result of mapping one delivery. */
export interface MappedDelivery {
  result: 'stored' | 'ignored';
  repo: string | null;
  events: MappedEvent[];
}

/**
 * Turns one GitHub delivery into OASIS events. Pure: the caller adds the
 * entityRef (a catalog lookup) and persists. Unmapped event types and
 * payloads without the expected object are `ignored`.
 */
export function mapGithubDelivery(
  eventName: string,
  payload: Json,
  context: { deliveryId: string; vtid: VtidExtractor },
): MappedDelivery {
  const repo: string | null = str(payload?.repository?.full_name);
  const common = {
    deliveryId: context.deliveryId,
    action: str(payload?.action),
    sender: str(payload?.sender?.login),
  };
  const ignored: MappedDelivery = { result: 'ignored', repo, events: [] };
  if (eventName === 'workflow_run') {
    const run = payload.workflow_run;
    if (!run || typeof run !== 'object') {
      return ignored;
    }
    return mapWorkflowRun(run, payload, context, { ...common, polled: false });
  }
  const mapper = Object.hasOwn(EVENT_MAPPERS, eventName)
    ? EVENT_MAPPERS[eventName as keyof typeof EVENT_MAPPERS]
    : undefined;
  const mapped = mapper?.(payload, { repo, vtid: context.vtid, common });
  if (!mapped) {
    return ignored;
  }
  return {
    result: 'stored',
    repo,
    events: [
      {
        input: {
          ...mapped.input,
          source: 'github.actions',
          kind: eventName,
          repo,
        },
        dedupKey: mapped.dedupKey,
      },
    ],
  };
}
/** The webhook action a polled run's status corresponds to. */
function polledRunAction(status: unknown): string {
  if (status === 'completed' || status === 'in_progress') {
    return status;
  }
  return 'requested';
}

/**
 * A workflow run, from a webhook delivery or a poll of the REST API (the
 * run object has the same shape in both).
 */
export function mapWorkflowRun(
  run: Json,
  payload: Json,
  context: { vtid: VtidExtractor },
  meta: Record<string, unknown>,
): MappedDelivery {
  const repo: string | null =
    str(payload?.repository?.full_name) ?? str(run.repository?.full_name);
  const status = githubRunStatus(run.status, run.conclusion);
  const action = str(payload?.action) ?? polledRunAction(run.status);
  const input: OasisEventInput = {
    source: 'github.actions',
    kind: 'workflow_run',
    module: 'WORKFLOW',
    status,
    title: title('WORKFLOW', action),
    ref: str(run.head_branch),
    link: link(run.html_url),
    repo,
    ...context.vtid.extract([
      run.head_branch,
      run.head_commit?.message,
      run.display_title,
    ]),
    meta: {
      ...meta,
      action,
      workflow: str(payload?.workflow?.name) ?? str(run.name),
      workflowId: run.workflow_id ?? null,
      workflowPath: str(run.path),
      runId: run.id,
      runNumber: run.run_number ?? null,
      runAttempt: run.run_attempt ?? 1,
      event: str(run.event),
      githubStatus: str(run.status),
      conclusion: run.conclusion ?? null,
      headSha: str(run.head_sha),
      headBranch: str(run.head_branch),
      ...headRepositoryOf(run, repo),
      defaultBranch:
        str(payload?.repository?.default_branch) ??
        str(run.repository?.default_branch),
      runStartedAt: str(run.run_started_at) ?? str(run.created_at),
      updatedAt: str(run.updated_at),
      pullRequests: (run.pull_requests ?? []).map((p: Json) => p.number),
    },
  };
  return {
    result: 'stored',
    repo,
    events: [
      {
        input,
        dedupKey: `workflow_run:${(repo ?? '').toLowerCase()}:${run.id}:${
          run.run_attempt ?? 1
        }:${status}`,
      },
    ],
  };
}

/**
 * Where a run's code came from: its head repository, and whether that is
 * another repository than the one the run belongs to (a fork's pull
 * request). Unknown head repository: `fromFork` null. Auto-deploy never
 * deploys a run whose head repository is not the app's own.
 */
function headRepositoryOf(
  run: Json,
  repo: string | null,
): { headRepository: string | null; fromFork: boolean | null } {
  const head = str(run.head_repository?.full_name);
  return {
    headRepository: head,
    fromFork:
      head === null || repo === null
        ? null
        : head.toLowerCase() !== repo.toLowerCase(),
  };
}
