import { ConfigReader } from '@backstage/config';
import {
  examplePayload,
  newSha,
  pushPayload,
  workflowRunPayload,
} from '../triggers/__testUtils__/githubPayloads';
import { mapGithubDelivery } from './githubMapping';
import { VtidExtractor } from './vtid';

const vtid = VtidExtractor.fromConfig(new ConfigReader({}));

function map(event: string, payload: Record<string, any>) {
  return mapGithubDelivery(event, payload, { deliveryId: 'd-1', vtid });
}

describe('mapGithubDelivery', () => {
  // eslint-disable-next-line no-script-url -- a hostile payload's link
  const hostile = 'javascript:alert(document.cookie)';

  it.each([
    [
      'workflow_run',
      'completed',
      (p: any): void => {
        p.workflow_run.html_url = hostile;
      },
    ],
    [
      'workflow_job',
      'completed',
      (p: any): void => {
        p.workflow_job.html_url = hostile;
      },
    ],
    [
      'check_run',
      'completed',
      (p: any): void => {
        p.check_run.html_url = hostile;
      },
    ],
    [
      'pull_request',
      'opened',
      (p: any): void => {
        p.pull_request.html_url = hostile;
      },
    ],
    [
      'push',
      undefined,
      (p: any): void => {
        p.compare = hostile;
      },
    ],
  ])('keeps only http(s) links from a %s payload', (event, action, poison) => {
    const payload = examplePayload(event, action);
    const [before] = map(event, payload).events;
    expect(before.input.link).toMatch(/^https:\/\/github\.com\//);
    poison(payload);
    const [after] = map(event, payload).events;
    expect(after.input.link).toBeNull();
  });

  it('builds check suite links that stay on github.com whatever the repository is called', () => {
    const payload = examplePayload('check_suite', 'completed');
    // eslint-disable-next-line no-script-url -- a hostile payload's link
    payload.repository.full_name = 'javascript:alert(1)//@evil.example.com';
    const link = map('check_suite', payload).events[0].input.link;
    expect(new URL(link!).origin).toBe('https://github.com');
  });

  it('keeps the facts that decide whether a run may deploy', () => {
    const sha = newSha();
    const fork = map(
      'workflow_run',
      workflowRunPayload({
        slug: 'octo-org/app',
        sha,
        event: 'pull_request',
        headRepo: 'mallory/app',
      }),
    ).events[0].input.meta;
    expect(fork).toMatchObject({
      event: 'pull_request',
      headRepository: 'mallory/app',
      fromFork: true,
      workflowPath: '.github/workflows/ci.yml',
      headSha: sha,
    });
    const own = map(
      'workflow_run',
      workflowRunPayload({ slug: 'octo-org/app', sha }),
    ).events[0].input.meta;
    expect(own).toMatchObject({
      event: 'push',
      headRepository: 'octo-org/app',
      fromFork: false,
    });
    const unknown = examplePayload('workflow_run', 'completed');
    delete unknown.workflow_run.head_repository;
    expect(map('workflow_run', unknown).events[0].input.meta).toMatchObject({
      headRepository: null,
      fromFork: null,
    });
  });

  it('gives a push a dedup key, so a replayed push is the same fact', () => {
    const sha = newSha();
    const push = pushPayload({
      slug: 'Octo-Org/App',
      after: sha,
      before: 'b'.repeat(40),
    });
    const [event] = map('push', push).events;
    expect(event.dedupKey).toBe(
      `push:octo-org/app:${'b'.repeat(40)}:${sha}:refs/heads/main`,
    );
    expect(
      map('push', JSON.parse(JSON.stringify(push))).events[0].dedupKey,
    ).toBe(event.dedupKey);
    expect(event.input.meta).toMatchObject({
      fullRef: 'refs/heads/main',
      headSha: sha,
    });
    // Another ref, or another `before` (a force-push back), is another fact.
    expect(
      map('push', { ...push, ref: 'refs/heads/dev' }).events[0].dedupKey,
    ).not.toBe(event.dedupKey);
    expect(
      map('push', { ...push, before: 'c'.repeat(40) }).events[0].dedupKey,
    ).not.toBe(event.dedupKey);
  });
});
