import { createTestDatabases } from '@slipway/test-utils';
import request from 'supertest';
import {
  deliveryId,
  repoEntity,
  sendDelivery,
  startWatchBackend,
} from './__testUtils__/testBackend';

jest.setTimeout(180_000);

const databases = createTestDatabases();

// Every example payload GitHub documents for api.github.com.
const examples: Array<{
  name: string;
  examples: any[];
}> = require('@octokit/webhooks-examples/api.github.com/index.json');

const MAPPED: Record<string, { module: string; prefix: string }> = {
  workflow_run: { module: 'WORKFLOW', prefix: 'CICDL-WORKFLOW-' },
  workflow_job: { module: 'WORKFLOW', prefix: 'CICDL-JOB-' },
  check_run: { module: 'CHECK', prefix: 'CICDL-CHECK-' },
  check_suite: { module: 'CHECK', prefix: 'CICDL-CHECK-SUITE-' },
  pull_request: { module: 'PR', prefix: 'CICDL-PR-' },
  push: { module: 'PUSH', prefix: 'CICDL-PUSH-' },
};

/** What GitHub's status and conclusion mean as an OASIS status. */
function expectedRunStatus(status: string, conclusion: string | null) {
  if (status !== 'completed') {
    return status === 'in_progress' ? 'in_progress' : 'queued';
  }
  return (
    (
      {
        success: 'success',
        failure: 'failure',
        timed_out: 'failure',
        cancelled: 'cancelled',
        skipped: 'skipped',
        neutral: 'skipped',
        action_required: 'failure',
        stale: 'skipped',
      } as Record<string, string>
    )[conclusion ?? ''] ?? 'info'
  );
}

function prStatus(action: string, merged: boolean) {
  if (action !== 'closed') {
    return 'info';
  }
  return merged ? 'success' : 'cancelled';
}

const ENTITY_BY_REPO: Record<string, string> = {
  'octo-org/octo-repo': 'component:default/octo-repo',
  'codertocat/hello-world': 'component:default/hello-world',
};

/**
 * How many events a delivery must produce: none for unmapped types and for
 * a workflow run state already stored (another hook or the polling
 * fallback reporting the same fact), else one.
 */
function expectedEventCount(
  name: string,
  payload: any,
  seenRuns: Set<string>,
): number {
  if (!MAPPED[name]) {
    return 0;
  }
  let key: string;
  if (name === 'workflow_run') {
    const expected = expectedEvent(name, payload);
    key = `${expected.repo}:${payload.workflow_run.id}:${payload.workflow_run.run_attempt}:${expected.status}`;
  } else if (name === 'push') {
    // The same push twice (same ref, before and after) is one fact.
    key = `push:${payload.repository.full_name}:${payload.ref}:${payload.before}:${payload.after}`;
  } else {
    return 1;
  }
  if (seenRuns.has(key)) {
    return 0;
  }
  seenRuns.add(key);
  return 1;
}

/** The row each mapped example must produce, derived from its payload. */
function expectedEvent(name: string, p: any) {
  const repo = p.repository?.full_name ?? null;
  switch (name) {
    case 'workflow_run':
      return {
        status: expectedRunStatus(
          p.workflow_run.status,
          p.workflow_run.conclusion,
        ),
        ref: p.workflow_run.head_branch,
        link: p.workflow_run.html_url,
        repo,
        meta: {
          runId: p.workflow_run.id,
          runNumber: p.workflow_run.run_number,
          workflow: p.workflow?.name ?? p.workflow_run.name,
          headSha: p.workflow_run.head_sha,
          conclusion: p.workflow_run.conclusion,
        },
      };
    case 'workflow_job':
      return {
        status: expectedRunStatus(
          p.workflow_job.status,
          p.workflow_job.conclusion,
        ),
        ref: p.workflow_job.head_branch ?? null,
        link: p.workflow_job.html_url,
        repo,
        meta: { jobId: p.workflow_job.id, runId: p.workflow_job.run_id },
      };
    case 'check_run':
      return {
        status: expectedRunStatus(p.check_run.status, p.check_run.conclusion),
        ref: p.check_run.check_suite?.head_branch ?? null,
        link: p.check_run.html_url,
        repo,
        meta: { name: p.check_run.name, headSha: p.check_run.head_sha },
      };
    case 'check_suite':
      return {
        status: expectedRunStatus(
          p.check_suite.status,
          p.check_suite.conclusion,
        ),
        ref: p.check_suite.head_branch,
        repo,
        meta: {
          checkSuiteId: p.check_suite.id,
          headSha: p.check_suite.head_sha,
        },
      };
    case 'pull_request': {
      const merged = Boolean(p.pull_request.merged);
      return {
        status: prStatus(p.action, merged),
        ref: p.pull_request.head.ref,
        link: p.pull_request.html_url,
        repo,
        meta: { number: p.pull_request.number, merged },
      };
    }
    case 'push':
      return {
        status: 'info',
        ref: p.ref.replace(/^refs\/heads\//, ''),
        link: p.compare,
        repo,
        meta: { commits: p.commits.length, headSha: p.after },
      };
    default:
      throw new Error(`not mapped: ${name}`);
  }
}

describe('POST /webhooks/github', () => {
  it.each(databases.eachSupportedId())(
    'stores every example payload of @octokit/webhooks-examples as the expected rows on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const { server } = await startWatchBackend({
        knex,
        entities: [
          repoEntity('octo-repo', 'octo-org/octo-repo'),
          repoEntity('hello-world', 'Codertocat/Hello-World'),
        ],
      });

      let mappedCount = 0;
      let storedCount = 0;
      let ignoredCount = 0;
      const seenRuns = new Set<string>();
      for (const { name, examples: payloads } of examples) {
        for (const payload of payloads) {
          const id = deliveryId();
          const response = await sendDelivery(server, name, payload, { id });
          const mapped = MAPPED[name];
          expect({
            name,
            status: response.status,
            body: response.body,
          }).toEqual({
            name,
            status: 202,
            body: { delivery: id, result: mapped ? 'stored' : 'ignored' },
          });
          const delivery = await knex('webhook_deliveries')
            .where('delivery_id', id)
            .first();
          expect(delivery).toMatchObject({
            event: name,
            result: mapped ? 'stored' : 'ignored',
            error: null,
          });
          const eventIds: string[] = JSON.parse(delivery.event_ids);
          const count = expectedEventCount(name, payload, seenRuns);
          expect(eventIds).toHaveLength(count);
          mappedCount += mapped ? 1 : 0;
          ignoredCount += mapped ? 0 : 1;
          storedCount += count;
          if (count === 0) {
            continue;
          }
          const expected = expectedEvent(name, payload);
          const { body: event } = await request(server).get(
            `/api/slipway/events/${eventIds[0]}`,
          );
          expect(event).toMatchObject({
            source: 'github.actions',
            kind: name,
            module: mapped!.module,
            ...expected,
            meta: { ...expected.meta, deliveryId: id },
          });
          expect(event.title.startsWith(mapped!.prefix)).toBe(true);
          expect(event.vtid).toBe('UNSET');
          expect(event.entityRef).toBe(
            ENTITY_BY_REPO[String(expected.repo).toLowerCase()] ?? null,
          );
        }
      }
      // All six mapped types have examples; the rest were all ignored.
      expect(mappedCount).toBe(67);
      expect(ignoredCount).toBeGreaterThan(250);
      // Like repeated run states, four push examples repeat an earlier one
      // (same ref, before and after) and are stored once.
      expect(storedCount).toBe(62);
      const [{ count }] = await knex('oasis_events').count({ count: '*' });
      expect(Number(count)).toBe(storedCount);

      // A redelivery answers duplicate and writes nothing.
      const id = deliveryId();
      const run = examples.find(e => e.name === 'workflow_run')!.examples[0];
      expect(
        (await sendDelivery(server, 'workflow_run', run, { id })).status,
      ).toBe(202);
      const again = await sendDelivery(server, 'workflow_run', run, { id });
      expect(again.status).toBe(200);
      expect(again.body).toEqual({ delivery: id, result: 'duplicate' });
      const [{ count: after }] = await knex('oasis_events').count({
        count: '*',
      });
      // The first one was itself a replay of a run already stored (dedup key).
      expect(Number(after)).toBe(storedCount);
      const [{ count: deliveries }] = await knex('webhook_deliveries').count({
        count: '*',
      });
      expect(Number(deliveries)).toBe(mappedCount + ignoredCount + 1);
    },
  );

  it.each(databases.eachSupportedId())(
    'extracts the VTID from the PR title, the branch, then commit messages on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const { server } = await startWatchBackend({ knex });
      const pr = examples.find(e => e.name === 'pull_request')!.examples[0];
      const push = examples.find(e => e.name === 'push')!.examples[4];

      const cases: Array<[string, any, string, string]> = [
        [
          'pull_request',
          {
            ...pr,
            pull_request: {
              ...pr.pull_request,
              title: 'DEV-CICDL-0031 add cache',
              head: { ...pr.pull_request.head, ref: 'feature/OPS-INFRA-0002' },
            },
          },
          'DEV-CICDL-0031',
          'CICDL',
        ],
        [
          'pull_request',
          {
            ...pr,
            pull_request: {
              ...pr.pull_request,
              title: 'no id here',
              head: {
                ...pr.pull_request.head,
                ref: 'feature/OPS-INFRA-0002-x',
              },
            },
          },
          'OPS-INFRA-0002',
          'INFRA',
        ],
        [
          'push',
          {
            ...push,
            ref: 'refs/heads/main',
            commits: [
              { ...push.commits[0], message: 'fix: DEV-API-1234 timeout' },
            ],
          },
          'DEV-API-1234',
          'API',
        ],
        [
          'push',
          {
            ...push,
            ref: 'refs/heads/main',
            // Another push (same before and after would be the same one).
            after: 'f'.repeat(40),
            commits: [{ ...push.commits[0], message: 'nothing' }],
            head_commit: { ...push.head_commit, message: 'nothing' },
          },
          'UNSET',
          'UNSET',
        ],
      ];
      for (const [name, payload, vtid, layer] of cases) {
        expect((await sendDelivery(server, name, payload)).status).toBe(202);
        const { body } = await request(server).get(
          '/api/slipway/events?limit=1',
        );
        expect(body.items[0]).toMatchObject({ vtid, layer, kind: name });
      }
      const { body } = await request(server).get(
        '/api/slipway/events?vtid=DEV-API-1234',
      );
      expect(body.items).toHaveLength(1);
    },
  );
});
