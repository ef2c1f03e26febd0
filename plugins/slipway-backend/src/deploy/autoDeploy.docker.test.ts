import { createTestDatabases, describeWithDocker } from '@slipway/test-utils';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { signGithubPayload } from '../webhooks/signature';
import {
  auth,
  finished,
  cleanupDocker,
  fetchText,
  RUN,
  startBackend,
  TestRepo,
  waitForDeployment,
  WEBHOOK_SECRET,
} from './__testUtils__/testApps';

jest.setTimeout(240_000);

const databases = createTestDatabases();

function examplePayload(event: string, action?: string) {
  const index: {
    name: string;
    examples: any[];
  }[] = require('@octokit/webhooks-examples/api.github.com/index.json');
  const examples = index.find(e => e.name === event)!.examples;
  const example = action
    ? examples.find(e => e.action === action)
    : examples[0];
  return JSON.parse(JSON.stringify(example));
}

function deliver(server: any, event: string, payload: unknown) {
  const body = JSON.stringify(payload);
  return request(server)
    .post('/api/slipway/webhooks/github')
    .set('content-type', 'application/json')
    .set('x-github-event', event)
    .set('x-github-delivery', randomUUID())
    .set('x-hub-signature-256', signGithubPayload(WEBHOOK_SECRET, body))
    .send(body);
}

function workflowRun(
  slug: string,
  branch: string,
  sha: string,
  conclusion: string,
) {
  const payload = examplePayload('workflow_run', 'completed');
  const [owner, name] = slug.split('/');
  payload.repository.full_name = slug;
  payload.repository.name = name;
  payload.repository.owner.login = owner;
  payload.workflow_run.id = Math.floor(Math.random() * 1e9);
  payload.workflow_run.head_branch = branch;
  payload.workflow_run.head_sha = sha;
  payload.workflow_run.status = 'completed';
  payload.workflow_run.conclusion = conclusion;
  return payload;
}

async function deploymentsOf(server: any, app: string): Promise<any[]> {
  const response = await request(server).get(
    `/api/slipway/apps/${app}/deployments`,
  );
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
      const backend = await startBackend(knex);
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
        // A push alone: green CI is required, so nothing is queued.
        const push = examplePayload('push');
        push.repository.full_name = slug;
        push.ref = 'refs/heads/main';
        push.after = v2;
        push.deleted = false;
        expect((await deliver(server, 'push', push)).status).toBe(202);
        // A failed run and a run on another branch do not deploy either.
        expect(
          (
            await deliver(
              server,
              'workflow_run',
              workflowRun(slug, 'main', v2, 'failure'),
            )
          ).status,
        ).toBe(202);
        expect(
          (
            await deliver(
              server,
              'workflow_run',
              workflowRun(slug, 'feature', v2, 'success'),
            )
          ).status,
        ).toBe(202);
        await new Promise(r => setTimeout(r, 1500));
        expect(await deploymentsOf(server, name)).toHaveLength(1);

        // The successful run on main deploys exactly its head sha.
        const green = await deliver(
          server,
          'workflow_run',
          workflowRun(slug, 'main', v2, 'success'),
        );
        expect(green.status).toBe(202);
        expect(green.body.result).toBe('stored');
        let auto: any;
        for (let i = 0; i < 100 && !auto; i++) {
          auto = (await deploymentsOf(server, name)).find(d => d.ref === v2);
          if (!auto) await new Promise(r => setTimeout(r, 100));
        }
        expect(auto).toBeDefined();
        const done = await waitForDeployment(server, auto.id, finished);
        expect(done).toMatchObject({ status: 'running', commitSha: v2 });
        expect(await fetchText(done.url)).toBe('v2');

        // A second workflow succeeding on the same commit does not redeploy.
        await deliver(
          server,
          'workflow_run',
          workflowRun(slug, 'main', v2, 'success'),
        );
        await new Promise(r => setTimeout(r, 1000));
        expect(await deploymentsOf(server, name)).toHaveLength(2);
      } finally {
        await backend.stop();
      }
    },
  );
});
