import {
  httpUrl,
  OasisEventInput,
  OasisStatus,
} from '@slipway/plugin-slipway-common';
import { VtidExtractor } from './vtid';

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

type Json = Record<string, any>;

/**
 * Maps a GitHub run or check state to an OASIS status:
 * queued → in_progress → success / failure / cancelled / skipped.
 */
export function githubRunStatus(
  status: string | null | undefined,
  conclusion: string | null | undefined,
): OasisStatus {
  if (status === 'completed' || (!status && conclusion)) {
    switch (conclusion) {
      case 'success':
        return 'success';
      case 'failure':
      case 'timed_out':
      case 'startup_failure':
      case 'action_required':
        return 'failure';
      case 'cancelled':
        return 'cancelled';
      case 'skipped':
      case 'neutral':
      case 'stale':
        return 'skipped';
      default:
        return 'info';
    }
  }
  if (status === 'in_progress') {
    return 'in_progress';
  }
  return 'queued';
}

function title(module: string, action: string | undefined): string {
  const suffix = (action ?? 'event').toUpperCase().replace(/[^A-Z0-9]+/g, '_');
  return `CICDL-${module}-${suffix}`;
}

function branchOf(ref: string | null | undefined): string | null {
  if (!ref) {
    return null;
  }
  return ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : ref;
}

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/**
 * A link from a payload, kept only when it is an http(s) URL: a hostile
 * payload's `html_url: "javascript:..."` is dropped, not stored.
 */
function link(value: unknown): string | null {
  return typeof value === 'string' && httpUrl(value) ? value : null;
}

/** What one mapper makes of a delivery: the event, minus what every event shares. */
interface EventMapping {
  input: Omit<OasisEventInput, 'source' | 'kind' | 'repo'>;
  dedupKey?: string;
}

/** What every mapper gets besides the payload. */
interface MapperContext {
  repo: string | null;
  vtid: VtidExtractor;
  /** The meta every event of a delivery carries (delivery id, action, sender). */
  common: { deliveryId: string; action: string | null; sender: string | null };
}

/**
 * One mapper per mapped event type (workflow_run aside: the polling fallback
 * shares its mapping). A mapper returns null when the payload lacks the
 * object the event is about; the delivery is then `ignored`.
 */
const EVENT_MAPPERS: Record<
  Exclude<(typeof MAPPED_GITHUB_EVENTS)[number], 'workflow_run'>,
  (payload: Json, context: MapperContext) => EventMapping | null
> = {
  workflow_job: mapWorkflowJob,
  check_run: mapCheckRun,
  check_suite: mapCheckSuite,
  pull_request: mapPullRequest,
  push: mapPush,
};

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

function objectOf(value: unknown): Json | null {
  return value && typeof value === 'object' ? (value as Json) : null;
}

function mapWorkflowJob(
  payload: Json,
  { vtid, common }: MapperContext,
): EventMapping | null {
  const job = objectOf(payload.workflow_job);
  if (!job) {
    return null;
  }
  return {
    input: {
      module: 'WORKFLOW',
      status: githubRunStatus(job.status, job.conclusion),
      title: title('JOB', payload.action),
      ref: str(job.head_branch),
      link: link(job.html_url),
      ...vtid.extract([job.head_branch]),
      meta: {
        ...common,
        job: job.name,
        jobId: job.id,
        runId: job.run_id,
        runAttempt: job.run_attempt,
        workflow: job.workflow_name ?? null,
        conclusion: job.conclusion ?? null,
        headSha: job.head_sha,
        runner: job.runner_name ?? null,
      },
    },
  };
}

function mapCheckRun(
  payload: Json,
  { vtid, common }: MapperContext,
): EventMapping | null {
  const check = objectOf(payload.check_run);
  if (!check) {
    return null;
  }
  const branch = str(check.check_suite?.head_branch);
  return {
    input: {
      module: 'CHECK',
      status: githubRunStatus(check.status, check.conclusion),
      title: title('CHECK', payload.action),
      ref: branch,
      link: link(check.html_url),
      ...vtid.extract([branch, check.output?.title]),
      meta: {
        ...common,
        name: check.name,
        checkRunId: check.id,
        conclusion: check.conclusion ?? null,
        headSha: check.head_sha,
        app: check.app?.slug ?? null,
        pullRequests: (check.pull_requests ?? []).map((p: Json) => p.number),
      },
    },
  };
}

function mapCheckSuite(
  payload: Json,
  { repo, vtid, common }: MapperContext,
): EventMapping | null {
  const suite = objectOf(payload.check_suite);
  if (!suite) {
    return null;
  }
  const branch = str(suite.head_branch);
  return {
    input: {
      module: 'CHECK',
      status: githubRunStatus(suite.status, suite.conclusion),
      title: title('CHECK-SUITE', payload.action),
      ref: branch,
      link:
        repo && typeof suite.head_sha === 'string'
          ? link(`https://github.com/${repo}/commit/${suite.head_sha}`)
          : null,
      ...vtid.extract([branch, suite.head_commit?.message]),
      meta: {
        ...common,
        checkSuiteId: suite.id,
        conclusion: suite.conclusion ?? null,
        headSha: suite.head_sha,
        app: suite.app?.slug ?? null,
      },
    },
  };
}

function mapPullRequest(
  payload: Json,
  { vtid, common }: MapperContext,
): EventMapping | null {
  const pr = objectOf(payload.pull_request);
  if (!pr) {
    return null;
  }
  const merged = Boolean(pr.merged);
  let status: OasisStatus = 'info';
  if (payload.action === 'closed') {
    status = merged ? 'success' : 'cancelled';
  }
  return {
    input: {
      module: 'PR',
      status,
      title: title(
        'PR',
        payload.action === 'closed' && merged ? 'merged' : payload.action,
      ),
      ref: str(pr.head?.ref),
      link: link(pr.html_url),
      ...vtid.extract([pr.title, pr.head?.ref]),
      meta: {
        ...common,
        number: pr.number ?? payload.number,
        prTitle: str(pr.title),
        merged,
        draft: Boolean(pr.draft),
        state: pr.state,
        baseRef: str(pr.base?.ref),
        headSha: str(pr.head?.sha),
        author: str(pr.user?.login),
      },
    },
  };
}

function mapPush(
  payload: Json,
  { repo, vtid, common }: MapperContext,
): EventMapping | null {
  if (typeof payload.ref !== 'string') {
    return null;
  }
  const commits: Json[] = Array.isArray(payload.commits) ? payload.commits : [];
  const branch = branchOf(payload.ref);
  return {
    input: {
      module: 'PUSH',
      status: 'info',
      title: title('PUSH', pushAction(payload)),
      ref: branch,
      link: link(payload.compare),
      ...vtid.extract([
        branch,
        ...commits.map(c => str(c?.message)),
        str(payload.head_commit?.message),
      ]),
      meta: {
        ...common,
        action: null,
        fullRef: payload.ref,
        pusher: str(payload.pusher?.name),
        commits: commits.length,
        headSha: str(payload.after),
        before: str(payload.before),
        forced: Boolean(payload.forced),
        created: Boolean(payload.created),
        deleted: Boolean(payload.deleted),
        headCommitMessage:
          str(payload.head_commit?.message)?.split('\n')[0] ?? null,
      },
    },
    // A replayed push (same body, new delivery id) is the same fact.
    // The ref goes last: keys are cut at 400 characters.
    dedupKey: `push:${(repo ?? '').toLowerCase()}:${str(payload.before)}:${str(
      payload.after,
    )}:${payload.ref}`,
  };
}

function pushAction(payload: Json): string {
  if (payload.deleted) {
    return 'deleted';
  }
  return payload.created ? 'created' : 'pushed';
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
