import { createTestDatabases, describeWithDocker } from '@slipway/test-utils';
import request from 'supertest';
import {
  pushPayload,
  workflowRunPayload,
} from '../triggers/__testUtils__/githubPayloads';
import {
  deliver,
  service,
  triggerConfig,
  waitForDecisions,
} from '../triggers/__testUtils__/triggerBackend';
import {
  auth,
  finished,
  cleanupDocker,
  fetchText,
  RUN,
  startBackend,
  TestRepo,
  waitForDeployment,
} from './__testUtils__/testApps';

jest.setTimeout(240_000);

const databases = createTestDatabases();

async function deploymentsOf(server: any, app: string): Promise<any[]> {
  const response = await request(server)
    .get(`/api/slipway/apps/${app}/deployments`)
    .set(service);
  return response.body.items;
}

describeWithDocker('auto-deploy from GitHub deliveries', () => {
  const repos: TestRepo[] = [];
  afterAll(async () => {
    await cleanupDocker();
    repos.forEach(r => r.remove());
  });

  it.each(databases.eachSupportedId())(
    'deploys the head sha of a successful workflow run on the branch, not a push or a failed run, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const backend = await startBackend(knex, triggerConfig());
      const { server } = backend;
      const name = `${RUN}-auto-${databaseId === 'SQLITE_3' ? 'l' : 'p'}`;
      const slug = `octo-org/${name}`;
      const repo = new TestRepo(slug);
      repos.push(repo);
      repo.commit({ body: 'v1' });
      try {
        const created = await request(server)
          .post('/api/slipway/apps')
          .set(auth)
          .send({
            name,
            repoUrl: repo.url,
            ref: 'main',
            autoDeploy: { branch: 'main' },
          });
        expect(created.status).toBe(201);
        expect(created.body.app.autoDeploy).toEqual({
          branch: 'main',
          requireGreenCi: true,
        });
        const first = await waitForDeployment(
          server,
          created.body.deployment.id,
          finished,
        );
        expect(first.status).toBe('running');

        const v2 = repo.commit({ body: 'v2' });
        // A push alone: green CI is required, so it waits.
        expect(
          (await deliver(server, 'push', pushPayload({ slug, after: v2 })))
            .status,
        ).toBe(202);
        expect((await waitForDecisions(server, name, 1))[0].meta).toMatchObject(
          { decision: 'waiting' },
        );
        // A failed run does not deploy; a run on another branch says nothing.
        await deliver(
          server,
          'workflow_run',
          workflowRunPayload({ slug, sha: v2, conclusion: 'failure' }),
        );
        await deliver(
          server,
          'workflow_run',
          workflowRunPayload({ slug, sha: v2, branch: 'feature' }),
        );
        expect((await waitForDecisions(server, name, 2))[1].meta).toMatchObject(
          { decision: 'skipped' },
        );
        expect(await deploymentsOf(server, name)).toHaveLength(1);

        // A newer, successful run of the workflow deploys exactly its sha.
        const green = await deliver(
          server,
          'workflow_run',
          workflowRunPayload({ slug, sha: v2 }),
        );
        expect(green.status).toBe(202);
        expect(green.body.result).toBe('stored');
        const queued = (await waitForDecisions(server, name, 3))[2].meta;
        expect(queued).toMatchObject({ decision: 'queued', headSha: v2 });
        const done = await waitForDeployment(
          server,
          queued.deploymentId,
          finished,
        );
        expect(done).toMatchObject({
          status: 'running',
          ref: v2,
          commitSha: v2,
        });
        expect(await fetchText(done.url)).toBe('v2');

        // A second workflow succeeding on the same commit does not redeploy.
        await deliver(
          server,
          'workflow_run',
          workflowRunPayload({ slug, sha: v2, workflow: 'Lint' }),
        );
        expect((await waitForDecisions(server, name, 4))[3].meta).toMatchObject(
          { decision: 'duplicate', deploymentId: queued.deploymentId },
        );
        expect(await deploymentsOf(server, name)).toHaveLength(2);
      } finally {
        await backend.stop();
      }
    },
  );
});
