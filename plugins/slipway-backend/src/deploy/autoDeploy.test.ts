import type { OasisEvent } from '@slipway/plugin-slipway-common';
import { headOf, triggersAutoDeploy } from './autoDeploy';
import { repoSlug } from '../oasis/repoSlug';

function event(partial: Partial<OasisEvent>): OasisEvent {
  return {
    id: '1',
    createdAt: new Date().toISOString(),
    vtid: 'UNSET',
    layer: 'UNSET',
    module: 'WORKFLOW',
    source: 'github.actions',
    kind: 'workflow_run',
    status: 'success',
    title: 'CICDL-WORKFLOW-COMPLETED',
    ref: 'main',
    link: null,
    repo: 'acme/shop',
    entityRef: null,
    meta: { headSha: 'a'.repeat(40), headBranch: 'main' },
    ...partial,
  };
}

describe('auto-deploy decisions', () => {
  it('deploys a successful run on the branch only', () => {
    const rule = { branch: 'main', requireGreenCi: true };
    expect(triggersAutoDeploy(event({}), rule)).toBe(true);
    expect(triggersAutoDeploy(event({ status: 'failure' }), rule)).toBe(false);
    expect(triggersAutoDeploy(event({ status: 'in_progress' }), rule)).toBe(
      false,
    );
    expect(
      triggersAutoDeploy(
        event({ meta: { headSha: 'b'.repeat(40), headBranch: 'dev' } }),
        rule,
      ),
    ).toBe(false);
    expect(triggersAutoDeploy(event({ source: 'slipway.deploy' }), rule)).toBe(
      false,
    );
  });

  it('deploys a push only when green CI is not required, never a deleted branch', () => {
    const push = event({
      kind: 'push',
      module: 'PUSH',
      status: 'info',
      meta: { headSha: 'c'.repeat(40), branch: 'main', deleted: false },
    });
    expect(triggersAutoDeploy(push, { branch: 'main' })).toBe(false);
    expect(
      triggersAutoDeploy(push, { branch: 'main', requireGreenCi: true }),
    ).toBe(false);
    expect(
      triggersAutoDeploy(push, { branch: 'main', requireGreenCi: false }),
    ).toBe(true);
    expect(
      triggersAutoDeploy(
        { ...push, meta: { ...push.meta, deleted: true } },
        { branch: 'main', requireGreenCi: false },
      ),
    ).toBe(false);
    expect(headOf(push)).toEqual({ sha: 'c'.repeat(40), branch: 'main' });
  });

  it('matches repositories by their last two path segments', () => {
    expect(repoSlug('https://github.com/acme/shop.git')).toBe('acme/shop');
    expect(repoSlug('https://ghe.example.com/acme/shop')).toBe('acme/shop');
    expect(repoSlug('file:///srv/mirrors/acme/shop')).toBe('acme/shop');
    expect(repoSlug('https://github.com/')).toBeUndefined();
  });
});
