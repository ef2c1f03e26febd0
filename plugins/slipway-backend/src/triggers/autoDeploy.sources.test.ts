/*
 * What may trigger a deploy: signed GitHub deliveries of the app's own
 * repository, for pushes on its branch; never an event someone published,
 * a fork's run or a pull request's.
 */
import { createTestDatabases } from '@slipway/test-utils';
import request from 'supertest';
import { newSha, workflowRunPayload } from './__testUtils__/githubPayloads';
import {
  autoDeployments,
  createApp,
  decisions,
  deliver,
  service,
  startTriggerBackend,
  waitForDecisions,
} from './__testUtils__/triggerBackend';

jest.setTimeout(120_000);

const databases = createTestDatabases();

describe('what may trigger an auto-deploy', () => {
  it.each(databases.eachSupportedId())(
    'an event published through POST /events that looks exactly like a green run queues nothing, and github.* is refused, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const backend = await startTriggerBackend(knex);
      const { server } = backend;
      try {
        const slug = 'octo-org/published';
        await createApp(server, 'published', slug, { branch: 'main' });
        const sha = newSha();
        // What a signed delivery of this run would have stored.
        const lookalike = {
          source: 'github.actions',
          kind: 'workflow_run',
          module: 'WORKFLOW',
          status: 'success',
          title: 'CICDL-WORKFLOW-COMPLETED',
          ref: 'main',
          repo: slug,
          link: `https://github.com/${slug}/actions/runs/1`,
          meta: {
            action: 'completed',
            workflow: 'CI',
            runId: 1,
            runAttempt: 1,
            event: 'push',
            conclusion: 'success',
            headSha: sha,
            headBranch: 'main',
            headRepository: slug,
            fromFork: false,
          },
        };
        const storedWith = () =>
          knex('oasis_events').where('meta', 'like', `%${sha}%`);
        for (const source of [
          'github.actions',
          'GitHub.Actions',
          'github',
          'slipway.deploy',
          'slipway',
        ]) {
          const refused = await request(server)
            .post('/api/slipway/events')
            .set(service)
            .send({ ...lookalike, source });
          expect(refused.status).toBe(400);
          expect(refused.body.error.message).toMatch(
            /github\.\* and slipway\.\* are reserved for Slipway itself/,
          );
        }
        expect(await storedWith()).toEqual([]);

        // Under a source of its own the same event is stored, and is inert.
        const published = await request(server)
          .post('/api/slipway/events')
          .set(service)
          .send({ ...lookalike, source: 'acme.ci' });
        expect(published.status).toBe(201);
        expect(await storedWith()).toHaveLength(1);

        // A signed red run afterwards: once it is decided, the worker has
        // looked at everything recorded before it.
        const red = await deliver(
          server,
          'workflow_run',
          workflowRunPayload({ slug, sha: newSha(), conclusion: 'failure' }),
        );
        expect(red.status).toBe(202);
        const [decided] = await waitForDecisions(server, 'published', 1);
        expect(decided).toMatchObject({
          title: 'DEPLOY-AUTO-SKIPPED',
          meta: { decision: 'skipped', reason: 'CI is red: CI (failure).' },
        });
        expect(await autoDeployments(server, 'published')).toEqual([]);
        expect(await knex('deploy_triggers').where({ head_sha: sha })).toEqual(
          [],
        );
        expect(await decisions(server, 'published')).toHaveLength(1);
      } finally {
        await backend.stop();
      }
    },
  );

  it.each(databases.eachSupportedId())(
    'a run from a fork or started by a pull request never deploys, and its meta says why, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const backend = await startTriggerBackend(knex);
      const { server } = backend;
      try {
        const slug = 'octo-org/forked';
        await createApp(server, 'forked', slug, {
          branch: 'main',
          requireGreenCi: false,
        });
        const sha = newSha();
        // A fork's pull request, from its own branch named main, green.
        const fromFork = await deliver(
          server,
          'workflow_run',
          workflowRunPayload({
            slug,
            sha,
            event: 'pull_request',
            headRepo: 'mallory/forked',
          }),
        );
        expect(fromFork.status).toBe(202);
        // A pull request of the repository itself, on main, green.
        const fromPr = await deliver(
          server,
          'workflow_run',
          workflowRunPayload({ slug, sha, event: 'pull_request' }),
        );
        expect(fromPr.status).toBe(202);
        const skipped = await waitForDecisions(server, 'forked', 2);
        expect(skipped.map(d => d.meta.decision)).toEqual([
          'skipped',
          'skipped',
        ]);
        expect(skipped[0].meta.reason).toMatch(
          /came from the fork mallory\/forked, not octo-org\/forked: runs from forks never deploy/,
        );
        expect(skipped[0].meta.trigger).toMatchObject({
          runEvent: 'pull_request',
          headRepository: 'mallory/forked',
        });
        expect(skipped[1].meta.reason).toMatch(
          /started by a pull_request event: only push and workflow_dispatch runs deploy/,
        );
        expect(await autoDeployments(server, 'forked')).toEqual([]);

        // The runs' own events keep the facts.
        const runs = await request(server)
          .get('/api/slipway/events')
          .query({ kind: 'workflow_run', repo: slug })
          .set(service);
        expect(runs.body.items.map((e: any) => e.meta)).toEqual([
          expect.objectContaining({
            event: 'pull_request',
            headRepository: slug,
            fromFork: false,
          }),
          expect.objectContaining({
            event: 'pull_request',
            headRepository: 'mallory/forked',
            fromFork: true,
          }),
        ]);

        // The push run of the same commit on the repository deploys it.
        await deliver(
          server,
          'workflow_run',
          workflowRunPayload({ slug, sha }),
        );
        const all = await waitForDecisions(server, 'forked', 3);
        expect(all[2].meta).toMatchObject({ decision: 'queued', headSha: sha });
        const deployed = await autoDeployments(server, 'forked');
        expect(deployed.map(d => d.ref)).toEqual([sha]);
        expect(all[2].meta.deploymentId).toBe(deployed[0].id);
      } finally {
        await backend.stop();
      }
    },
  );
});
