import type { OasisEvent, OasisStatus } from '@slipway/plugin-slipway-common';

/** A commit sha as git prints it (SHA-1 or SHA-256). */
const SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/** Run states after which a run changes only by a new attempt. */
const FINISHED: OasisStatus[] = [
  'success',
  'failure',
  'cancelled',
  'skipped',
  'info',
];

/**
 * A string column's value, or null when it does not fit its width or holds
 * a NUL (PostgreSQL refuses those). Never cut: a cut branch or workflow name
 * could equal another one an app names.
 */
function text(value: unknown, max: number): string | null {
  if (typeof value !== 'string' || value === '') return null;
  return value.length <= max && !value.includes('\u0000') ? value : null;
}

/** A run attempt that fits the integer column, else unknown. */
function attemptOf(value: unknown): number | null {
  const n = Number(value ?? 1);
  return Number.isInteger(n) && n > 0 && n < 2 ** 31 ? n : null;
}

/** A run id as digits (run ids are compared as numbers), else unknown. */
function runIdOf(value: unknown): string | null {
  const id = typeof value === 'number' ? String(value) : value;
  return typeof id === 'string' && /^\d{1,19}$/.test(id) ? id : null;
}

function lower(value: unknown): string | null {
  return text(value, 255)?.toLowerCase() ?? null;
}

/**
 * The `deploy_triggers` row of a stored GitHub event, or undefined for an
 * event that can never deploy anything (other kinds, tag pushes, branch
 * deletions, malformed shas). Finished runs and pushes are `pending`: a
 * worker acts on them. Runs still queued or running are kept as `fact`s:
 * requireGreenCi needs to know a commit has a run that has not finished.
 */
export function triggerRowOf(
  event: OasisEvent,
  dedupKey: string,
): Record<string, unknown> | undefined {
  if (event.source !== 'github.actions' || !event.repo) return undefined;
  const meta = event.meta ?? {};
  const sha = typeof meta.headSha === 'string' ? meta.headSha : '';
  if (!SHA.test(sha)) return undefined;
  const common = {
    dedup_key: dedupKey,
    event_id: event.id,
    origin: meta.polled === true ? 'poll' : 'webhook',
    delivery_id: text(meta.deliveryId, 64),
    repo: event.repo.toLowerCase(),
    head_sha: sha,
    status: event.status,
    link: event.link,
    created_at: new Date(),
  };
  if (event.kind === 'workflow_run') {
    return {
      ...common,
      kind: 'workflow_run',
      branch: text(meta.headBranch, 255),
      workflow: text(meta.workflow, 255),
      workflow_path: text(meta.workflowPath, 255),
      run_id: runIdOf(meta.runId),
      run_attempt: attemptOf(meta.runAttempt),
      run_event: text(meta.event, 64),
      head_repo: lower(meta.headRepository),
      state: FINISHED.includes(event.status) ? 'pending' : 'fact',
    };
  }
  if (event.kind === 'push') {
    const ref = typeof meta.fullRef === 'string' ? meta.fullRef : '';
    if (!ref.startsWith('refs/heads/') || meta.deleted === true) {
      return undefined;
    }
    const branch = text(ref.slice('refs/heads/'.length), 255);
    if (branch === null) return undefined;
    return { ...common, kind: 'push', branch, state: 'pending' };
  }
  return undefined;
}
