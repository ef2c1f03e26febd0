import { ConfigReader } from '@backstage/config';
import { describeWithDocker } from '@slipway/test-utils';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import yaml from 'yaml';
import {
  git,
  mockContext,
  outputsOf,
  prepareExampleTemplateRepo,
  removeTempDirs,
  tempDir,
} from '../__testUtils__/fixtures';
import { startSlipwayBackend } from '../__testUtils__/slipwayBackend';
import { createDeployAction } from './deploy';
import { examples } from './deploy.examples';
import { createTemplateExtractAction } from './templateExtract';

jest.setTimeout(240_000);

/** A bare repo holding the rendered busybox site at the root and in service/, tagged v1.2.0. */
async function busyboxAppRepo(): Promise<string> {
  const template = prepareExampleTemplateRepo();
  const extract = createTemplateExtractAction({
    config: new ConfigReader({ slipway: { allowedRepositories: ['file://'] } }),
  });
  const work = tempDir('slipway-app-');
  for (const targetPath of ['.', 'service']) {
    const ctx = mockContext(
      {
        repoUrl: template.url,
        path: 'busybox-site',
        targetPath,
        values: { name: 'hello-site', port: 8080 },
      },
      { workspacePath: work },
    );
    ctx.createTemporaryDirectory = async () => tempDir();
    await extract.handler(ctx as any);
  }
  git(['init', '-q', '-b', 'main'], work);
  git(['add', '-A'], work);
  git(
    ['-c', 'user.name=t', '-c', 'user.email=t@e', 'commit', '-q', '-m', 'site'],
    work,
  );
  git(['tag', 'v1.2.0'], work);
  const bare = path.join(tempDir('slipway-app-bare-'), 'app.git');
  git(['clone', '-q', '--bare', work, bare]);
  return pathToFileURL(bare).toString();
}

describe('slipway:deploy (input checks)', () => {
  const action = createDeployAction({
    discovery: {
      getBaseUrl: async () => 'http://127.0.0.1:9/api/slipway',
      getExternalBaseUrl: async () => '',
    },
    auth: {} as any,
  });
  afterAll(removeTempDirs);

  it('refuses an invalid app name before any call', async () => {
    await expect(
      action.handler(
        mockContext({ name: 'Bad_Name', repoUrl: 'file:///x' }) as any,
      ),
    ).rejects.toThrow(
      /Invalid app name "Bad_Name": use 2-40 lowercase letters/,
    );
  });

  it('makes no call in a dry run', async () => {
    const ctx = mockContext(
      { name: 'dry', repoUrl: 'file:///x' },
      { isDryRun: true },
    );
    await action.handler(ctx as any);
    expect(outputsOf(ctx)).toEqual({
      deploymentId: 'dry-run',
      url: '',
      status: 'pending',
    });
  });
});

describeWithDocker('slipway:deploy against the real deploy engine', () => {
  let slipway: Awaited<ReturnType<typeof startSlipwayBackend>>;
  let repoUrl: string;
  let action: ReturnType<typeof createDeployAction>;
  const apps = new Set<string>();

  beforeAll(async () => {
    repoUrl = await busyboxAppRepo();
    slipway = await startSlipwayBackend(
      {
        slipway: {
          allowedRepositories: ['file://'],
          github: { webhookSecrets: ['x'] },
          cicd: { polling: { enabled: false } },
          deploy: {
            drainSeconds: 1,
            stopTimeoutSeconds: 2,
            pollIntervalMs: 500,
            dockerHealthIntervalMs: 500,
          },
        },
      },
      // The entity the documented example registers its app for.
      ['component:default/hello-site'],
    );
    action = createDeployAction({
      discovery: slipway.discovery,
      auth: slipway.auth,
    });
  });
  afterAll(async () => {
    const { token } = await slipway.auth.getPluginRequestToken({
      onBehalfOf: await slipway.auth.getOwnServiceCredentials(),
      targetPluginId: 'slipway',
    });
    for (const app of apps) {
      await fetch(`${slipway.baseUrl}/api/slipway/apps/${app}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${token}` },
      });
    }
    await slipway.stop();
    removeTempDirs();
  });

  const run = async (input: Record<string, unknown>) => {
    apps.add(String(input.name));
    const ctx = mockContext(input as any);
    await action.handler(ctx as any);
    return outputsOf(ctx);
  };

  it('runs every documented example: creates the app, waits for running, serves /health', async () => {
    const results: Record<string, Record<string, unknown>> = {};
    for (const { example } of examples) {
      const input = yaml.parse(example).steps[0].input;
      input.repoUrl = repoUrl;
      // This backend has no catalog HTTP API to wait on (its Slipway plugin
      // reads a mock catalog), so the action looks once and goes on.
      input.entityWaitSeconds = 0;
      results[input.name] = await run(input);
    }
    // The first example waits until running; the second only queues.
    expect(results['hello-site']).toEqual({
      deploymentId: expect.any(String),
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+/),
      status: 'running',
    });
    const health = await fetch(`${results['hello-site'].url}/health`);
    expect(await health.text()).toBe('ok\n');
    expect([
      'pending',
      'cloning',
      'building',
      'starting',
      'health_checking',
      'running',
    ]).toContain(results.orders.status);
  });

  it('updates an existing app and queues a new deployment on a re-run', async () => {
    const first = await run({
      name: 'rerun-site',
      repoUrl,
      port: 8080,
      healthCheck: { path: '/health' },
    });
    const second = await run({
      name: 'rerun-site',
      repoUrl,
      port: 8080,
      healthCheck: { path: '/health' },
      env: { GREETING: 'hi' },
    });
    expect(second.status).toBe('running');
    expect(second.deploymentId).not.toBe(first.deploymentId);
  });

  it('fails with the deployment error when the app never becomes healthy', async () => {
    await expect(
      run({
        name: 'unhealthy-site',
        repoUrl,
        port: 8080,
        healthCheck: {
          path: '/missing',
          timeoutSeconds: 3,
          intervalSeconds: 1,
        },
      }),
    ).rejects.toThrow(
      /Deployment \d+ of unhealthy-site ended failed: .*Its log: GET \/api\/slipway\/deployments\/\d+\/logs/,
    );
  });
});
