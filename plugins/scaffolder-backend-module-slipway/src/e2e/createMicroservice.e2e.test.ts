import {
  mockCredentials,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { mockServices } from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import scaffolderEntityModel from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import { GithubTestServer } from '@slipway/github-test-server';
import slipwayPlugin from '@slipway/plugin-slipway-backend';
import {
  dockerReachable,
  inMemoryDatabases,
  reportMissingService,
} from '@slipway/test-utils';
import { AddressInfo } from 'node:net';
import path from 'node:path';
import { scaffolderModuleSlipway } from '../module';
import {
  prepareExampleTemplateRepo,
  REPO_ROOT,
  removeTempDirs,
} from '../__testUtils__/fixtures';
import { gitAsync, startGithub, TOKENS } from '../__testUtils__/github';

jest.setTimeout(600_000);

const SECRET = 'e2e-webhook-secret';
const TEMPLATE_REF = 'template:default/slipway-create-microservice';
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/**
 * The example template, run by the real scaffolder backend with this module,
 * the real catalog and the real Slipway backend, against the GitHub test
 * server. Deploys when a Docker engine is reachable.
 */
describe('"Create a microservice" end to end', () => {
  const withDocker = dockerReachable().reachable;
  let github: GithubTestServer;
  let backend: Awaited<ReturnType<typeof startTestBackend>>;
  let baseUrl: string;
  let templateRepoUrl: string;
  const auth = { authorization: mockCredentials.user.header() };

  const api = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(`${baseUrl}${p}`, {
      method,
      headers: {
        ...auth,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  /** Polls until fn returns a value, at most `seconds`. */
  const eventually = async <T>(
    what: string,
    seconds: number,
    fn: () => Promise<T | undefined>,
  ) => {
    const deadline = Date.now() + seconds * 1000;
    while (Date.now() < deadline) {
      const value = await fn();
      if (value !== undefined) return value;
      await sleep(500);
    }
    throw new Error(`Timed out after ${seconds} s waiting for ${what}`);
  };

  const runTemplate = async (values: Record<string, unknown>) => {
    const dispatched = await api('POST', '/api/scaffolder/v2/tasks', {
      templateRef: TEMPLATE_REF,
      values,
    });
    expect(dispatched.status).toBe(201);
    const task = await eventually('the task to finish', 400, async () => {
      const { body } = await api(
        'GET',
        `/api/scaffolder/v2/tasks/${dispatched.body.id}`,
      );
      return ['completed', 'failed', 'cancelled'].includes(body.status)
        ? body
        : undefined;
    });
    if (task.status !== 'completed') {
      const events = await api(
        'GET',
        `/api/scaffolder/v2/tasks/${task.id}/events`,
      );
      const log = events.body
        .filter((e: any) => e.type === 'log')
        .map((e: any) => e.body.message)
        .slice(-25)
        .join('\n');
      throw new Error(`Task ${task.status}:\n${log}`);
    }
    const events = await api(
      'GET',
      `/api/scaffolder/v2/tasks/${task.id}/events`,
    );
    const completion = events.body.find((e: any) => e.type === 'completion');
    return { task, output: completion?.body?.output ?? {} };
  };

  /** The deployment the template queued serves /health and is linked. */
  const expectRunningApp = async (output: Record<string, any>) => {
    const app = await api('GET', '/api/slipway/apps/e2e-site');
    expect(app.body.currentDeployment.status).toBe('running');
    const health = await fetch(`${app.body.currentDeployment.url}/health`);
    expect((await health.text()).trim()).toBe('ok');
    expect(output.links).toEqual(
      expect.arrayContaining([
        { title: 'Running app', url: app.body.currentDeployment.url },
      ]),
    );
  };

  beforeAll(async () => {
    github = await startGithub();
    templateRepoUrl = prepareExampleTemplateRepo().url;
    backend = await startTestBackend({
      features: [
        inMemoryDatabases(),
        scaffolderPlugin,
        scaffolderModuleSlipway,
        catalogPlugin,
        scaffolderEntityModel,
        slipwayPlugin,
        mockServices.rootConfig.factory({
          data: {
            integrations: { github: [github.integrationConfig(TOKENS.alice)] },
            catalog: {
              rules: [
                {
                  allow: ['Component', 'Template', 'Location', 'Group', 'User'],
                },
              ],
              locations: [
                {
                  type: 'file',
                  target: path.join(
                    REPO_ROOT,
                    'examples/templates/create-microservice/template.yaml',
                  ),
                },
              ],
            },
            slipway: {
              allowedRepositories: ['file://', `${github.baseUrl}/`],
              github: { webhookSecrets: [SECRET] },
              cicd: { polling: { enabled: false } },
              deploy: {
                drainSeconds: 1,
                stopTimeoutSeconds: 2,
                pollIntervalMs: 500,
                dockerHealthIntervalMs: 500,
              },
            },
          },
        }),
      ],
    });
    baseUrl = `http://127.0.0.1:${
      (backend.server.address() as AddressInfo).port
    }`;
    await eventually('the catalog to ingest the template', 120, async () => {
      const res = await api(
        'GET',
        '/api/catalog/entities/by-name/template/default/slipway-create-microservice',
      );
      return res.status === 200 ? true : undefined;
    });
  });

  afterAll(async () => {
    await api('DELETE', '/api/slipway/apps/e2e-site').catch(() => {});
    await backend?.stop();
    await github?.close();
    removeTempDirs();
  });

  it('creates the repository with the rendered files, one verified hook, the catalog entity and a running deployment — and a second run changes nothing it should not', async () => {
    const values = {
      name: 'e2e-site',
      description: 'End-to-end site',
      owner: 'group:default/guests',
      template: 'busybox-site',
      port: 8080,
      repoUrl: `${github.host}?owner=acme&repo=e2e-site`,
      visibility: 'private',
      templateRepoUrl,
      verifyWebhook: true,
      deploy: withDocker,
    };
    if (!withDocker) {
      // Throws under SLIPWAY_REQUIRE_SERVICES=1; otherwise a loud notice.
      reportMissingService(
        'The Docker engine',
        'The e2e test runs the template without its deploy step. Start dockerd to run it.',
      );
    }
    const first = await runTemplate(values);

    // The repository holds the rendered template.
    const gitDir = github.repoPath('acme', 'e2e-site');
    const files = (
      await gitAsync([
        '--git-dir',
        gitDir,
        'ls-tree',
        '-r',
        '--name-only',
        'main',
      ])
    ).split('\n');
    expect(files).toEqual(
      expect.arrayContaining([
        '.slipway/template.json',
        'Dockerfile',
        'busybox',
        'catalog-info.yaml',
        'www/health',
        'www/index.html',
      ]),
    );
    const index = await gitAsync([
      '--git-dir',
      gitDir,
      'show',
      'main:www/index.html',
    ]);
    expect(index).toContain('<h1>e2e-site</h1>');
    expect(
      await gitAsync(['--git-dir', gitDir, 'show', 'main:catalog-info.yaml']),
    ).toContain('github.com/project-slug: acme/e2e-site');
    expect(github.repo('acme', 'e2e-site')).toMatchObject({
      private: true,
      topics: ['slipway', 'busybox-site'],
    });
    const head = await gitAsync(['--git-dir', gitDir, 'rev-parse', 'main']);

    // One hook, to this backend, verified by a ping the backend recorded.
    const hooks = github.hooksOf('acme/e2e-site');
    expect(hooks).toHaveLength(1);
    expect(hooks[0].config).toMatchObject({
      content_type: 'json',
      secret: SECRET,
    });
    expect(hooks[0].config.url).toMatch(/\/api\/slipway\/webhooks\/github$/);
    const deliveries = await api('GET', '/api/slipway/deliveries');
    expect(
      deliveries.body.items.some(
        (d: any) =>
          d.event === 'ping' && String(d.hookId) === String(hooks[0].id),
      ),
    ).toBe(true);

    // The catalog knows the new component.
    const entity = await eventually(
      'the component in the catalog',
      60,
      async () => {
        const res = await api(
          'GET',
          '/api/catalog/entities/by-name/component/default/e2e-site',
        );
        return res.status === 200 ? res.body : undefined;
      },
    );
    expect(entity.metadata.annotations['slipway.dev/app']).toBe('e2e-site');

    await (withDocker ? expectRunningApp(first.output) : Promise.resolve());

    // Second run: the repository is reused, nothing new is pushed, the hook
    // is updated rather than duplicated.
    await runTemplate({ ...values, deploy: false });
    expect(github.hooksOf('acme/e2e-site')).toHaveLength(1);
    expect(await gitAsync(['--git-dir', gitDir, 'rev-parse', 'main'])).toBe(
      head,
    );
  });
});
