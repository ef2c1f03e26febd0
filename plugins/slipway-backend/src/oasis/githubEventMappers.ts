import { OasisEventInput, OasisStatus } from '@slipway/plugin-slipway-common';
import {
  branchOf,
  githubRunStatus,
  Json,
  link,
  objectOf,
  str,
  title,
} from './githubPayload';
import { VtidExtractor } from './vtid';

/*
 * The GitHub events other than workflow_run (whose mapping the polling
 * fallback shares, in githubMapping.ts), one mapper each.
 */

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
export const EVENT_MAPPERS: Record<
  'workflow_job' | 'check_run' | 'check_suite' | 'pull_request' | 'push',
  (payload: Json, context: MapperContext) => EventMapping | null
> = {
  workflow_job: mapWorkflowJob,
  check_run: mapCheckRun,
  check_suite: mapCheckSuite,
  pull_request: mapPullRequest,
  push: mapPush,
};

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
