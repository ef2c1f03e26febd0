import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { createTestDatabases } from '@slipway/test-utils';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EntityRefResolver } from '../oasis/EntityRefResolver';
import { OasisEventStore } from '../oasis/OasisEventStore';
import { VtidExtractor } from '../oasis/vtid';
import { repoEntity } from '../webhooks/__testUtils__/testBackend';
import { WebhookProcessor } from '../webhooks/WebhookProcessor';
import { createWatchStores } from '../watchStores';
import { GithubWorkflowPoller } from './GithubWorkflowPoller';

jest.setTimeout(60_000);

const databases = createTestDatabases();

/** Answers like GitHub's `GET /repos/{owner}/{repo}/actions/runs`. */
function startFakeGithub() {
  const state = {
    etag: '"v1"',
    runs: [] as any[],
    mode: 'ok' as 'ok' | 'rate-limited' | 'too-many' | 'broken',
    resetAt: 0,
    requests: [] as Array<{ url: string; headers: http.IncomingHttpHeaders }>,
  };
  const server = http.createServer((req, res) => {
    state.requests.push({ url: req.url!, headers: req.headers });
    const match =
      /^\/api\/v3\/repos\/([^/]+)\/([^/]+)\/actions\/runs(\?.*)?$/.exec(
        req.url!,
      );
    if (!match) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'Not Found' }));
      return;
    }
    if (state.mode === 'rate-limited') {
      res.writeHead(403, {
        'content-type': 'application/json',
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(state.resetAt),
      });
      res.end(
        JSON.stringify({ message: 'API rate limit exceeded for user ID 1.' }),
      );
      return;
    }
    if (state.mode === 'too-many') {
      res.writeHead(429, {
        'content-type': 'application/json',
        'retry-after': '90',
      });
      res.end(
        JSON.stringify({
          message: 'You have exceeded a secondary rate limit.',
        }),
      );
      return;
    }
    if (state.mode === 'broken') {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'Server Error' }));
      return;
    }
    if (req.headers['if-none-match'] === state.etag) {
      // GitHub: no body, no rate-limit cost.
      res.writeHead(304, { etag: state.etag });
      res.end();
      return;
    }
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      etag: state.etag,
      'x-ratelimit-remaining': '4999',
    });
    res.end(
      JSON.stringify({
        total_count: state.runs.length,
        workflow_runs: state.runs,
      }),
    );
  });
  return { server, state };
}

const repository = {
  id: 1,
  name: 'octo-repo',
  full_name: 'octo-org/octo-repo',
  default_branch: 'main',
};

function run(id: number, status: string, conclusion: string | null) {
  return {
    id,
    name: 'CI',
    workflow_id: 77,
    run_number: id,
    run_attempt: 1,
    event: 'push',
    status,
    conclusion,
    head_branch: 'main',
    head_sha: `sha${id}`,
    html_url: `https://github.com/octo-org/octo-repo/actions/runs/${id}`,
    created_at: '2026-11-24T08:00:00Z',
    run_started_at: '2026-11-24T08:00:00Z',
    updated_at: '2026-11-24T08:05:00Z',
    display_title: 'DEV-CICDL-0042 faster builds',
    head_commit: { id: `sha${id}`, message: 'DEV-CICDL-0042 faster builds' },
    pull_requests: [],
    repository,
  };
}

describe('GithubWorkflowPoller', () => {
  it.each(databases.eachSupportedId())(
    'polls silent repositories with ETags, dedups against webhooks and backs off on rate limits on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const github = startFakeGithub();
      await new Promise<void>(r => github.server.listen(0, '127.0.0.1', r));
      const port = (github.server.address() as AddressInfo).port;
      try {
        const config = new ConfigReader({
          integrations: {
            github: [
              {
                host: 'ghe.example.test',
                apiBaseUrl: `http://127.0.0.1:${port}/api/v3`,
                token: 'test-token',
              },
            ],
          },
          slipway: {
            github: { host: 'ghe.example.test' },
            cicd: {
              polling: {
                frequencySeconds: 60,
                silentAfterMinutes: 10,
                // Allowed by the admin; chatty by its registered hook.
                repositories: ['octo-org/octo-repo'],
              },
            },
          },
        });
        const store = await OasisEventStore.create({ knex });
        const entityRefs = new EntityRefResolver({
          catalog: catalogServiceMock({
            entities: [
              repoEntity('octo-repo', 'octo-org/octo-repo'),
              repoEntity('chatty', 'octo-org/chatty'),
            ],
          }),
          auth: mockServices.auth(),
        });
        const vtid = new VtidExtractor();
        const stores = createWatchStores(store);
        const processor = new WebhookProcessor({
          stores,
          entityRefs,
          vtid,
        });
        const poller = new GithubWorkflowPoller({
          sources: stores.sources,
          pollState: stores.pollState,
          processor,
          entityRefs,
          vtid,
          config,
        });

        // octo-org/chatty has a live webhook: it is not polled.
        await processor.receive({
          deliveryId: 'chatty-ping',
          event: 'ping',
          payload: {
            zen: 'Keep it logically awesome.',
            hook_id: 42,
            hook: { id: 42, type: 'Repository' },
            repository: { full_name: 'octo-org/chatty' },
          },
          rawPayload: '{}',
        });
        await processor.receive({
          deliveryId: 'chatty-1',
          event: 'push',
          payload: {
            ref: 'refs/heads/main',
            repository: { full_name: 'octo-org/chatty' },
            commits: [],
          },
          rawPayload: '{}',
        });

        github.state.runs = [
          run(2, 'in_progress', null),
          run(1, 'completed', 'failure'),
        ];
        let report = await poller.pollOnce();
        expect(report).toMatchObject({
          polled: ['octo-org/octo-repo'],
          skipped: ['octo-org/chatty'],
          stored: 2,
        });
        expect(github.state.requests).toHaveLength(1);
        expect(github.state.requests[0].url).toBe(
          '/api/v3/repos/octo-org/octo-repo/actions/runs?per_page=30',
        );
        expect(github.state.requests[0].headers.authorization).toBe(
          'token test-token',
        );
        const polled = (
          await store.list({ kind: 'workflow_run' }, { limit: 10 })
        ).items;
        // Oldest run stored first; polled runs look like webhook ones.
        expect(polled.map(e => [e.meta.runId, e.status])).toEqual([
          [2, 'in_progress'],
          [1, 'failure'],
        ]);
        expect(polled[0]).toMatchObject({
          source: 'github.actions',
          module: 'WORKFLOW',
          repo: 'octo-org/octo-repo',
          entityRef: 'component:default/octo-repo',
          vtid: 'DEV-CICDL-0042',
          layer: 'CICDL',
          meta: { polled: true, workflow: 'CI', defaultBranch: 'main' },
        });

        // Unchanged: a conditional request answered 304, nothing stored.
        report = await poller.pollOnce();
        expect(report).toMatchObject({
          notModified: ['octo-org/octo-repo'],
          stored: 0,
        });
        expect(github.state.requests[1].headers['if-none-match']).toBe('"v1"');

        // The run completes: polled once, and the webhook's own delivery of
        // the same state (arriving late) adds nothing.
        github.state.etag = '"v2"';
        github.state.runs = [
          run(2, 'completed', 'success'),
          run(1, 'completed', 'failure'),
        ];
        report = await poller.pollOnce();
        expect(report.stored).toBe(1);
        const late = await processor.receive({
          deliveryId: 'late-1',
          event: 'workflow_run',
          payload: {
            action: 'completed',
            workflow_run: run(2, 'completed', 'success'),
            repository,
            workflow: { name: 'CI' },
          },
          rawPayload: '{}',
        });
        expect(late).toMatchObject({ result: 'stored', events: [] });
        expect(
          (await store.list({ kind: 'workflow_run' }, { limit: 10 })).items,
        ).toHaveLength(3);

        // That delivery shows the webhook works again: no polling while it
        // is recent.
        report = await poller.pollOnce();
        expect(report.skipped.sort()).toEqual([
          'octo-org/chatty',
          'octo-org/octo-repo',
        ]);

        // Silent again, and rate limited: wait for GitHub's reset time,
        // asking nothing before.
        const now = Date.now() + 11 * 60_000;
        github.state.etag = '"v3"';
        github.state.mode = 'rate-limited';
        github.state.resetAt = Math.floor(now / 1000) + 120;
        report = await poller.pollOnce(new Date(now));
        // The limit is per token: once hit, every repository waits.
        expect(report.rateLimited.sort()).toEqual([
          'octo-org/chatty',
          'octo-org/octo-repo',
        ]);
        const requestsSoFar = github.state.requests.length;
        report = await poller.pollOnce(new Date(now + 60_000));
        expect(report.skipped).toContain('octo-org/octo-repo');
        expect(github.state.requests).toHaveLength(requestsSoFar);
        github.state.mode = 'too-many';
        report = await poller.pollOnce(new Date(now + 121_000));
        expect(report.rateLimited.sort()).toEqual([
          'octo-org/chatty',
          'octo-org/octo-repo',
        ]);
        const [state] = await knex('github_poll_state').where(
          'repo',
          'octo-org/octo-repo',
        );
        expect(
          new Date(state.next_poll_at).getTime() || Number(state.next_poll_at),
        ).toBe(now + 121_000 + 90_000);

        // Back to normal after the retry-after.
        github.state.mode = 'ok';
        report = await poller.pollOnce(new Date(now + 212_000));
        expect(report.polled.sort()).toEqual([
          'octo-org/chatty',
          'octo-org/octo-repo',
        ]);

        // A failing API is retried later, not hammered.
        github.state.mode = 'broken';
        github.state.etag = '"v4"';
        report = await poller.pollOnce(new Date(now + 300_000));
        expect(report.failed.sort()).toEqual([
          'octo-org/chatty',
          'octo-org/octo-repo',
        ]);
        report = await poller.pollOnce(new Date(now + 301_000));
        expect(report.skipped).toContain('octo-org/octo-repo');
      } finally {
        await new Promise(r => github.server.close(r));
      }
    },
  );
});
