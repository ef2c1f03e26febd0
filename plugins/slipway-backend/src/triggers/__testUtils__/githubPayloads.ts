/*
 * GitHub deliveries for auto-deploy tests, from the real example payloads
 * of @octokit/webhooks-examples with the fields a test cares about set.
 */
import { randomBytes } from 'node:crypto';

type Json = Record<string, any>;

/** A copy of GitHub's example payload of `event` (with that action). */
export function examplePayload(event: string, action?: string): Json {
  const index: Array<{
    name: string;
    examples: Json[];
  }> = require('@octokit/webhooks-examples/api.github.com/index.json');
  const examples = index.find(e => e.name === event)!.examples;
  const example = action
    ? examples.find(e => e.action === action)
    : examples[0];
  return JSON.parse(JSON.stringify(example));
}

/** A fresh commit sha. */
export function newSha(): string {
  return randomBytes(20).toString('hex');
}

let runIds = Math.floor(Date.now() / 1000) * 100;

/** A fresh run id, growing like GitHub's. */
export function newRunId(): number {
  runIds += 1;
  return runIds;
}

function repositoryOf(template: Json, slug: string, fork = false): Json {
  const [owner, name] = slug.split('/');
  return {
    ...template,
    name,
    full_name: slug,
    fork,
    html_url: `https://github.com/${slug}`,
    owner: { ...template.owner, login: owner },
  };
}

/** What a workflow_run delivery says about its run. */
export interface RunOptions {
  /** owner/name of the repository the run belongs to. */
  slug: string;
  sha: string;
  branch?: string;
  workflow?: string;
  runId?: number;
  attempt?: number;
  /** completed (default), in_progress or requested. */
  status?: 'completed' | 'in_progress' | 'requested';
  conclusion?: string | null;
  /** What started the run; default push. */
  event?: string;
  /** owner/name the run's code came from; default `slug`. */
  headRepo?: string;
  htmlUrl?: string;
}

/** A workflow_run delivery shaped as GitHub sends it. */
export function workflowRunPayload(options: RunOptions): Json {
  const payload = examplePayload('workflow_run', 'completed');
  const status = options.status ?? 'completed';
  const workflow = options.workflow ?? 'CI';
  const path = `.github/workflows/${workflow.toLowerCase()}.yml`;
  const runId = options.runId ?? newRunId();
  const run = payload.workflow_run;
  payload.action = status;
  payload.repository = repositoryOf(payload.repository, options.slug);
  payload.workflow = { ...payload.workflow, name: workflow, path };
  Object.assign(run, {
    id: runId,
    name: workflow,
    path,
    event: options.event ?? 'push',
    status,
    conclusion: status === 'completed' ? options.conclusion ?? 'success' : null,
    head_branch: options.branch ?? 'main',
    head_sha: options.sha,
    run_attempt: options.attempt ?? 1,
    html_url:
      options.htmlUrl ??
      `https://github.com/${options.slug}/actions/runs/${runId}`,
    repository: repositoryOf(run.repository, options.slug),
    head_repository: repositoryOf(
      run.head_repository,
      options.headRepo ?? options.slug,
      options.headRepo !== undefined && options.headRepo !== options.slug,
    ),
    head_commit: { ...run.head_commit, id: options.sha },
    pull_requests: [],
  });
  return payload;
}

/** A push delivery of `after` to `branch`, shaped as GitHub sends it. */
export function pushPayload(options: {
  slug: string;
  after: string;
  before?: string;
  branch?: string;
}): Json {
  const payload = examplePayload('push');
  payload.repository = repositoryOf(payload.repository, options.slug);
  Object.assign(payload, {
    ref: `refs/heads/${options.branch ?? 'main'}`,
    before: options.before ?? newSha(),
    after: options.after,
    created: false,
    deleted: false,
    forced: false,
    compare: `https://github.com/${options.slug}/compare/${options.after}`,
  });
  if (payload.head_commit) payload.head_commit.id = options.after;
  return payload;
}
