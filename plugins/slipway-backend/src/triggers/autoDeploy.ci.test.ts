/*
 * requireGreenCi over real deliveries: a commit deploys once every required
 * workflow is green, in whatever order the runs arrive.
 */
import { createTestDatabases } from '@slipway/test-utils';
import {
  newRunId,
  newSha,
  RunOptions,
  workflowRunPayload,
} from './__testUtils__/githubPayloads';
import {
  autoDeployments,
  createApp,
  deliver,
  startTriggerBackend,
  waitForDecisions,
} from './__testUtils__/triggerBackend';

jest.setTimeout(120_000);

const databases = createTestDatabases();

describe('requireGreenCi', () => {
  it.each(databases.eachSupportedId())(
    'deploys a commit only once every required workflow is green: green then red, red then green, a re-run turning red green, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const backend = await startTriggerBackend(knex);
      const { server } = backend;
      const slug = 'octo-org/gated';
      let decided = 0;
      /** Delivers a run and waits for the decision it causes. */
      const run = async (options: Omit<RunOptions, 'slug'>) => {
        const response = await deliver(
          server,
          'workflow_run',
          workflowRunPayload({ slug, ...options }),
        );
        expect(response.status).toBe(202);
        decided += 1;
        const all = await waitForDecisions(server, 'gated', decided);
        return all[decided - 1].meta;
      };
      try {
        await createApp(server, 'gated', slug, {
          branch: 'main',
          requiredWorkflows: ['CI', 'E2E'],
        });

        // Green, then red: the first green workflow alone does not deploy.
        const first = newSha();
        expect(await run({ sha: first, workflow: 'CI' })).toMatchObject({
          decision: 'waiting',
          reason: 'Waiting for CI: E2E (no run yet).',
        });
        const e2eRun = newRunId();
        expect(
          await run({
            sha: first,
            workflow: 'E2E',
            runId: e2eRun,
            conclusion: 'failure',
          }),
        ).toMatchObject({
          decision: 'skipped',
          reason: 'CI is red: E2E (failure).',
        });

        // Red, then green: still not.
        const second = newSha();
        await run({ sha: second, workflow: 'E2E', conclusion: 'failure' });
        expect(await run({ sha: second, workflow: 'CI' })).toMatchObject({
          decision: 'skipped',
          reason: 'CI is red: E2E (failure).',
        });
        expect(await autoDeployments(server, 'gated')).toEqual([]);

        // A re-run of the red workflow turns the first commit green.
        expect(
          await run({
            sha: first,
            workflow: 'E2E',
            runId: e2eRun,
            attempt: 2,
          }),
        ).toMatchObject({ decision: 'queued', reason: 'CI is green.' });
        const deployed = await autoDeployments(server, 'gated');
        expect(deployed.map(d => d.ref)).toEqual([first]);
      } finally {
        await backend.stop();
      }
    },
  );

  it.each(databases.eachSupportedId())(
    'with no workflows named, waits for every run it has seen for the commit, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const backend = await startTriggerBackend(knex);
      const { server } = backend;
      const slug = 'octo-org/unnamed';
      const send = (options: Omit<RunOptions, 'slug'>) =>
        deliver(
          server,
          'workflow_run',
          workflowRunPayload({ slug, ...options }),
        );
      try {
        await createApp(server, 'unnamed', slug, { branch: 'main' });
        const sha = newSha();
        const lint = newRunId();
        expect(
          (
            await send({
              sha,
              workflow: 'Lint',
              runId: lint,
              status: 'requested',
            })
          ).status,
        ).toBe(202);
        await send({ sha, workflow: 'CI' });
        const [waiting] = await waitForDecisions(server, 'unnamed', 1);
        expect(waiting.meta).toMatchObject({
          decision: 'waiting',
          reason: 'Waiting for CI: Lint (queued).',
        });
        await send({ sha, workflow: 'Lint', runId: lint });
        const [, queued] = await waitForDecisions(server, 'unnamed', 2);
        expect(queued.meta).toMatchObject({ decision: 'queued', headSha: sha });
        expect(
          (await autoDeployments(server, 'unnamed')).map(d => d.ref),
        ).toEqual([sha]);
      } finally {
        await backend.stop();
      }
    },
  );
});
