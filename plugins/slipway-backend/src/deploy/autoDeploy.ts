import type {
  AutoDeploySpec,
  OasisStatus,
} from '@slipway/plugin-slipway-common';
import type { TriggerFact } from '../triggers/types';

/**
 * What auto-deploy does with one trigger for one app:
 * - `deploy`: queue the commit;
 * - `wait`: the commit's CI is not finished (a later trigger decides);
 * - `skip`: this trigger never deploys (a fork, a pull request, red CI).
 * `quiet` skips (another branch, another repository) publish no event.
 */
export type AutoDeployDecision =
  | { action: 'deploy'; reason: string }
  | { action: 'wait'; reason: string }
  | { action: 'skip'; reason: string; quiet?: boolean };

/** Run events that may deploy: a push to the branch, or a manual dispatch. */
const DEPLOYING_RUN_EVENTS = ['push', 'workflow_dispatch'];

/** Run states that count as green (GitHub's required checks pass skipped ones). */
const GREEN: OasisStatus[] = ['success', 'skipped'];
const RUNNING: OasisStatus[] = ['queued', 'in_progress'];

/** The CI state of a commit as auto-deploy judges it. */
export interface CommitCi {
  state: 'green' | 'pending' | 'failed';
  reason: string;
  /** The latest run state of each workflow that counted. */
  workflows: Array<{ workflow: string; status: OasisStatus; runId: string }>;
}

function runName(run: TriggerFact): string {
  return run.workflow ?? run.workflowPath ?? `run ${run.runId}`;
}

/**
 * Why a workflow run may not deploy the app, or undefined when it may: it
 * must have run for a push (or a manual dispatch) on the app's own
 * repository, never for a pull request or from a fork.
 */
export function runRefusal(
  run: TriggerFact,
  appRepo: string,
): string | undefined {
  const name = `Run ${run.runId} of ${runName(run)}`;
  if (!run.headRepo) {
    return `${name} names no head repository; only runs of ${appRepo} itself deploy.`;
  }
  if (run.headRepo !== appRepo.toLowerCase()) {
    return `${name} came from the fork ${run.headRepo}, not ${appRepo}: runs from forks never deploy.`;
  }
  if (!run.runEvent || !DEPLOYING_RUN_EVENTS.includes(run.runEvent)) {
    return `${name} was started by a ${
      run.runEvent ?? 'unknown'
    } event: only push and workflow_dispatch runs deploy.`;
  }
  return undefined;
}

/** Newer attempts win; within one attempt, a finished state wins. */
function rank(run: TriggerFact): [number, number] {
  return [run.runAttempt ?? 1, RUNNING.includes(run.status) ? 0 : 1];
}

function newer(a: TriggerFact, b: TriggerFact): boolean {
  const [x, y] = [rank(a), rank(b)];
  return x[0] !== y[0] ? x[0] > y[0] : x[1] >= y[1];
}

/**
 * The latest state of each workflow on the commit: per run its newest
 * attempt, per workflow its newest run (run ids grow).
 */
function latestPerWorkflow(runs: TriggerFact[]): Map<string, TriggerFact> {
  const perRun = new Map<string, TriggerFact>();
  for (const run of runs) {
    const key = run.runId ?? run.id;
    const seen = perRun.get(key);
    if (!seen || newer(run, seen)) perRun.set(key, run);
  }
  const perWorkflow = new Map<string, TriggerFact>();
  for (const run of perRun.values()) {
    const key = run.workflowPath ?? run.workflow ?? run.runId ?? run.id;
    const seen = perWorkflow.get(key);
    if (!seen || BigInt(run.runId ?? 0) > BigInt(seen.runId ?? 0)) {
      perWorkflow.set(key, run);
    }
  }
  return perWorkflow;
}

/** A workflow that counts, and its latest run (none seen yet: undefined). */
type Entry = [string, TriggerFact | undefined];

function judge(entries: Entry[]): CommitCi {
  const workflows = entries.flatMap(([workflow, run]) =>
    run ? [{ workflow, status: run.status, runId: run.runId ?? '' }] : [],
  );
  const failed = entries.filter(
    ([, run]) =>
      run && !GREEN.includes(run.status) && !RUNNING.includes(run.status),
  );
  if (failed.length > 0) {
    const list = failed.map(([w, run]) => `${w} (${run!.status})`).join(', ');
    return { state: 'failed', reason: `CI is red: ${list}.`, workflows };
  }
  const pending = entries.filter(
    ([, run]) => !run || RUNNING.includes(run.status),
  );
  if (pending.length > 0) {
    const list = pending
      .map(([w, run]) => `${w} (${run ? run.status : 'no run yet'})`)
      .join(', ');
    return {
      state: 'pending',
      reason: `Waiting for CI: ${list}.`,
      workflows,
    };
  }
  return { state: 'green', reason: 'CI is green.', workflows };
}

/**
 * Whether a commit's CI is green for the app. Only runs that could deploy
 * count (the app's branch, push or dispatch, the app's own repository), so a
 * fork can neither deploy nor block a commit. With `requiredWorkflows`, each
 * named workflow (name or path) must be green; without, every workflow seen
 * for the commit must be green and none may still run.
 */
export function commitCi(
  spec: AutoDeploySpec,
  appRepo: string,
  runs: TriggerFact[],
): CommitCi {
  const latest = latestPerWorkflow(
    runs.filter(
      r => r.branch === spec.branch && runRefusal(r, appRepo) === undefined,
    ),
  );
  if (spec.requiredWorkflows?.length) {
    const all = [...latest.values()];
    return judge(
      spec.requiredWorkflows.flatMap((name): Entry[] => {
        // Several workflow files may share a name: each must be green.
        const matches = all.filter(
          r => r.workflow === name || r.workflowPath === name,
        );
        return matches.length
          ? matches.map((r): Entry => [name, r])
          : [[name, undefined]];
      }),
    );
  }
  if (latest.size === 0) {
    return {
      state: 'pending',
      reason: 'Waiting for CI: no workflow run seen for this commit yet.',
      workflows: [],
    };
  }
  return judge([...latest.values()].map(r => [runName(r), r]));
}

/**
 * Decides what one trigger (a finished workflow run or a push, from a
 * signed delivery or Slipway's poller) means for an app deploying from
 * `appRepo` with `spec`. `runs` are every run state recorded for the
 * trigger's commit.
 */
export function decideAutoDeploy(
  spec: AutoDeploySpec,
  appRepo: string,
  trigger: TriggerFact,
  runs: TriggerFact[],
): AutoDeployDecision {
  if (trigger.branch !== spec.branch) {
    return {
      action: 'skip',
      quiet: true,
      reason: `${trigger.kind} on ${
        trigger.branch ?? 'no branch'
      }; auto-deploy follows ${spec.branch}.`,
    };
  }
  if (trigger.kind === 'workflow_run') {
    const refusal = runRefusal(trigger, appRepo);
    if (refusal) return { action: 'skip', reason: refusal };
  }
  const requireGreenCi = spec.requireGreenCi !== false;
  if (!requireGreenCi) {
    if (trigger.kind === 'push') {
      return { action: 'deploy', reason: `Push to ${spec.branch}.` };
    }
    return trigger.status === 'success'
      ? { action: 'deploy', reason: `${runName(trigger)} succeeded.` }
      : {
          action: 'skip',
          reason: `${runName(trigger)} concluded ${trigger.status}.`,
        };
  }
  const ci = commitCi(spec, appRepo, runs);
  if (ci.state === 'green') return { action: 'deploy', reason: ci.reason };
  if (ci.state === 'failed') return { action: 'skip', reason: ci.reason };
  return { action: 'wait', reason: ci.reason };
}
