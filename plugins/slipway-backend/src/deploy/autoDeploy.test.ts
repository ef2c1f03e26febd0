import type { AutoDeploySpec } from '@slipway/plugin-slipway-common';
import { repoSlug } from '../oasis/repoSlug';
import type { TriggerFact } from '../triggers/types';
import { commitCi, decideAutoDeploy } from './autoDeploy';

const SHA = 'a'.repeat(40);
const REPO = 'acme/shop';
let ids = 0;

/** A run state of SHA on main, pushed to acme/shop, unless told otherwise. */
function run(
  workflow: string,
  status: TriggerFact['status'],
  extra: Partial<TriggerFact> = {},
): TriggerFact {
  ids += 1;
  return {
    id: String(ids),
    kind: 'workflow_run',
    repo: REPO,
    headSha: SHA,
    branch: 'main',
    status,
    workflow,
    workflowPath: `.github/workflows/${workflow.toLowerCase()}.yml`,
    runId: String(1000 + workflow.length),
    runAttempt: 1,
    runEvent: 'push',
    headRepo: REPO,
    link: null,
    eventId: String(ids),
    origin: 'webhook',
    deliveryId: null,
    attempts: 1,
    ...extra,
  };
}

function push(extra: Partial<TriggerFact> = {}): TriggerFact {
  return {
    ...run('', 'info'),
    kind: 'push',
    workflow: null,
    workflowPath: null,
    runId: null,
    runAttempt: null,
    runEvent: null,
    headRepo: null,
    ...extra,
  };
}

const ci: AutoDeploySpec = { branch: 'main', requireGreenCi: true };
const named: AutoDeploySpec = { ...ci, requiredWorkflows: ['CI', 'E2E'] };

describe('auto-deploy decisions', () => {
  it('never deploys a run from a fork or one started by a pull request, even on a branch named like the app’s', () => {
    const fork = run('CI', 'success', {
      headRepo: 'mallory/shop',
      runEvent: 'pull_request',
    });
    expect(decideAutoDeploy(ci, REPO, fork, [fork])).toEqual({
      action: 'skip',
      reason: expect.stringMatching(/fork mallory\/shop.*never deploy/),
    });
    const pr = run('CI', 'success', { runEvent: 'pull_request' });
    expect(decideAutoDeploy(ci, REPO, pr, [pr])).toEqual({
      action: 'skip',
      reason: expect.stringMatching(
        /pull_request event: only push and workflow_dispatch/,
      ),
    });
    const target = run('CI', 'success', { runEvent: 'pull_request_target' });
    expect(
      decideAutoDeploy({ ...ci, requireGreenCi: false }, REPO, target, [target])
        .action,
    ).toBe('skip');
    const unknown = run('CI', 'success', { headRepo: null });
    expect(decideAutoDeploy(ci, REPO, unknown, [unknown]).action).toBe('skip');
    const dispatch = run('CI', 'success', { runEvent: 'workflow_dispatch' });
    expect(decideAutoDeploy(ci, REPO, dispatch, [dispatch]).action).toBe(
      'deploy',
    );
  });

  it('compares repositories without regard to case', () => {
    const green = run('CI', 'success', { headRepo: 'acme/shop' });
    expect(decideAutoDeploy(ci, 'Acme/Shop', green, [green]).action).toBe(
      'deploy',
    );
  });

  it('stays quiet about other branches', () => {
    const other = run('CI', 'success', { branch: 'feature' });
    expect(decideAutoDeploy(ci, REPO, other, [other])).toMatchObject({
      action: 'skip',
      quiet: true,
    });
  });

  it('with named workflows: the first green one alone does not deploy, a red one never does', () => {
    const ciGreen = run('CI', 'success', { runId: '1' });
    const e2eRunning = run('E2E', 'in_progress', { runId: '2' });
    const e2eRed = run('E2E', 'failure', { runId: '2' });
    const e2eGreen = run('E2E', 'success', { runId: '2', runAttempt: 2 });

    // Green first, the other not even seen yet, then running, then red.
    expect(decideAutoDeploy(named, REPO, ciGreen, [ciGreen])).toEqual({
      action: 'wait',
      reason: 'Waiting for CI: E2E (no run yet).',
    });
    expect(
      decideAutoDeploy(named, REPO, ciGreen, [ciGreen, e2eRunning]).action,
    ).toBe('wait');
    expect(
      decideAutoDeploy(named, REPO, e2eRed, [ciGreen, e2eRunning, e2eRed]),
    ).toEqual({ action: 'skip', reason: 'CI is red: E2E (failure).' });
    // Red first, then green: still red.
    expect(
      decideAutoDeploy(named, REPO, ciGreen, [e2eRed, ciGreen]).action,
    ).toBe('skip');
    // A re-run attempt turns red into green, whatever order they arrive in.
    for (const order of [
      [ciGreen, e2eRed, e2eGreen],
      [e2eGreen, ciGreen, e2eRed],
    ]) {
      expect(decideAutoDeploy(named, REPO, order[2], order)).toEqual({
        action: 'deploy',
        reason: 'CI is green.',
      });
    }
    // Names or paths; a workflow nobody asked for does not matter.
    const byPath = { ...ci, requiredWorkflows: ['.github/workflows/ci.yml'] };
    const lintRed = run('Lint', 'failure', { runId: '3' });
    expect(
      decideAutoDeploy(byPath, REPO, ciGreen, [ciGreen, lintRed]).action,
    ).toBe('deploy');
  });

  it('with no workflows named: every run seen must be green and none may still run', () => {
    const a = run('CI', 'success', { runId: '1' });
    const b = run('E2E', 'queued', { runId: '2' });
    expect(commitCi(ci, REPO, [a, b])).toMatchObject({
      state: 'pending',
      reason: 'Waiting for CI: E2E (queued).',
    });
    const bRed = run('E2E', 'cancelled', { runId: '2' });
    expect(commitCi(ci, REPO, [a, b, bRed]).state).toBe('failed');
    const bGreen = run('E2E', 'skipped', { runId: '2' });
    expect(commitCi(ci, REPO, [a, b, bGreen])).toMatchObject({
      state: 'green',
      workflows: [
        { workflow: 'CI', status: 'success' },
        { workflow: 'E2E', status: 'skipped' },
      ],
    });
    // A fork's or a pull request's red run for the same commit blocks nothing.
    const forkRed = run('CI', 'failure', {
      runId: '9',
      headRepo: 'mallory/shop',
      runEvent: 'pull_request',
    });
    expect(commitCi(ci, REPO, [a, forkRed]).state).toBe('green');
    // A newer run of a workflow speaks for it.
    const rerun = run('CI', 'failure', { runId: '5' });
    expect(commitCi(ci, REPO, [a, rerun]).state).toBe('failed');
  });

  it('a push deploys at once only without requireGreenCi; with it, it waits for CI', () => {
    expect(
      decideAutoDeploy(
        { branch: 'main', requireGreenCi: false },
        REPO,
        push(),
        [],
      ),
    ).toEqual({ action: 'deploy', reason: 'Push to main.' });
    expect(decideAutoDeploy(ci, REPO, push(), [])).toEqual({
      action: 'wait',
      reason: 'Waiting for CI: no workflow run seen for this commit yet.',
    });
    // CI that finished before the push arrived counts.
    const green = run('CI', 'success');
    expect(decideAutoDeploy(ci, REPO, push(), [green]).action).toBe('deploy');
    // Without requireGreenCi a red run still does not deploy.
    const red = run('CI', 'failure');
    expect(
      decideAutoDeploy({ branch: 'main', requireGreenCi: false }, REPO, red, [
        red,
      ]),
    ).toEqual({ action: 'skip', reason: 'CI concluded failure.' });
  });

  it('matches repositories by their last two path segments', () => {
    expect(repoSlug('https://github.com/acme/shop.git')).toBe('acme/shop');
    expect(repoSlug('https://ghe.example.com/acme/shop')).toBe('acme/shop');
    expect(repoSlug('file:///srv/mirrors/acme/shop')).toBe('acme/shop');
    expect(repoSlug('https://github.com/')).toBeUndefined();
  });
});
