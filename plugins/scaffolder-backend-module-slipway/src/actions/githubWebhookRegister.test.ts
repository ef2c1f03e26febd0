import { mockServices } from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { GithubTestServer } from '@slipway/github-test-server';
import yaml from 'yaml';
import {
  mockContext,
  outputsOf,
  removeTempDirs,
} from '../__testUtils__/fixtures';
import { githubConfig, startGithub, TOKENS } from '../__testUtils__/github';
import {
  startSlipwayBackend,
  WEBHOOK_SECRET,
} from '../__testUtils__/slipwayBackend';
import { createGithubWebhookRegisterAction } from './githubWebhookRegister';
import { examples } from './githubWebhookRegister.examples';

jest.setTimeout(60_000);

describe('slipway:github:webhook:register', () => {
  let github: GithubTestServer;
  let slipway: Awaited<ReturnType<typeof startSlipwayBackend>>;

  beforeAll(async () => {
    github = await startGithub();
    github.createRepo('acme', 'orders');
    github.createRepo('alice', 'site');
    slipway = await startSlipwayBackend();
  });
  afterAll(async () => {
    await github.close();
    await slipway.stop();
    removeTempDirs();
  });

  // Who may register an organization hook is tested with the real
  // permission backend in githubWebhookRegister.permissions.test.ts; here
  // every permission is granted.
  const ALLOWED_URL =
    'https://backstage.example.com/api/slipway/webhooks/github';
  const action = (
    token = TOKENS.alice,
    secrets: string[] = [WEBHOOK_SECRET],
    githubSettings: Record<string, unknown> = {},
  ) =>
    createGithubWebhookRegisterAction({
      config: githubConfig(github, token, {
        slipway: {
          github: {
            webhookSecrets: secrets,
            allowedWebhookUrls: [ALLOWED_URL],
            ...githubSettings,
          },
        },
      }),
      discovery: slipway.discovery,
      auth: slipway.auth,
      permissions: mockServices.permissions({ result: AuthorizeResult.ALLOW }),
    });
  const run = async (
    input: Record<string, unknown>,
    opts: {
      token?: string;
      dryRun?: boolean;
      secrets?: string[];
      github?: Record<string, unknown>;
    } = {},
  ) => {
    const ctx = mockContext(input as any, { isDryRun: opts.dryRun });
    await action(opts.token, opts.secrets, opts.github).handler(ctx as any);
    return outputsOf(ctx);
  };

  it('runs every documented example', async () => {
    for (const { example } of examples) {
      const input = yaml.parse(example).steps[0].input;
      input.repoUrl = input.repoUrl.replace('github.com', github.host);
      const outputs = await run(input);
      expect(outputs).toMatchObject({
        hookId: expect.any(Number),
        created: true,
      });
    }
    const orgHooks = github
      .hooksOf('acme')
      .filter(h => h.type === 'Organization');
    expect(orgHooks).toHaveLength(1);
    expect(orgHooks[0]).toMatchObject({
      events: ['workflow_run'],
      config: { url: ALLOWED_URL, content_type: 'json' },
    });
  });

  it('registers a JSON hook to discovery with the configured secret and default events, verified by a ping Slipway recorded', async () => {
    const outputs = await run({
      repoUrl: `${github.host}?owner=alice&repo=site`,
      verify: true,
    });
    expect(outputs).toEqual({
      hookId: expect.any(Number),
      created: true,
      webhookUrl: slipway.webhookUrl,
      verified: true,
    });
    const [hook] = github.hooksOf('alice/site');
    expect(hook).toMatchObject({
      id: outputs.hookId,
      active: true,
      events: ['workflow_run', 'check_run', 'pull_request', 'push'],
      config: {
        url: slipway.webhookUrl,
        content_type: 'json',
        secret: WEBHOOK_SECRET,
        insecure_ssl: '0',
      },
    });
    // The backend recorded the ping as a delivery of this hook.
    const deliveries = await (
      await fetch(`${slipway.baseUrl}/api/slipway/deliveries`, {
        headers: {
          authorization: `Bearer ${
            (
              await mockServices.auth().getPluginRequestToken({
                onBehalfOf: await mockServices
                  .auth()
                  .getOwnServiceCredentials(),
                targetPluginId: 'slipway',
              })
            ).token
          }`,
        },
      })
    ).json();
    expect(
      deliveries.items.filter(
        (d: any) =>
          d.event === 'ping' && String(d.hookId) === String(outputs.hookId),
      ).length,
    ).toBeGreaterThanOrEqual(1);
  });

  it('updates the existing hook with the same URL instead of adding one', async () => {
    const first = await run({
      repoUrl: `${github.host}?owner=acme&repo=orders`,
      events: ['push'],
    });
    github.hooksOf('acme/orders').find(h => h.id === first.hookId)!.active =
      false;
    const second = await run({
      repoUrl: `${github.host}?owner=acme&repo=orders`,
    });
    expect(second).toMatchObject({ hookId: first.hookId, created: false });
    const hooks = github
      .hooksOf('acme/orders')
      .filter(h => h.config.url === slipway.webhookUrl);
    expect(hooks).toHaveLength(1);
    expect(hooks[0]).toMatchObject({
      active: true,
      events: ['workflow_run', 'check_run', 'pull_request', 'push'],
    });
  });

  it("fails verification clearly when the ping does not arrive (wrong secret), with GitHub's last response", async () => {
    github.createRepo('acme', 'wrong-secret');
    await expect(
      run(
        {
          repoUrl: `${github.host}?owner=acme&repo=wrong-secret`,
          verify: true,
          verifyTimeoutSeconds: 2,
        },
        { secrets: ['not-the-backend-secret'] },
      ),
    ).rejects.toThrow(
      /The ping of webhook \d+ did not reach Slipway within 2 s\. Check that GitHub can reach .* and that the hook secret equals one of slipway\.github\.webhookSecrets; GitHub's last delivery to it answered 401/,
    );
  });

  it('refuses to register without a configured secret, and explains missing scopes', async () => {
    await expect(
      run(
        { repoUrl: `${github.host}?owner=acme&repo=orders` },
        { secrets: [] },
      ),
    ).rejects.toThrow(
      /No webhook secret is configured: set slipway\.github\.webhookSecrets/,
    );
    await expect(
      run(
        { repoUrl: `${github.host}?owner=acme&repo=orders` },
        { token: TOKENS.weak },
      ),
    ).rejects.toThrow(
      /lacks the scope needed to list the webhooks of acme\/orders: it has \[read:user\], GitHub accepts one of \[admin:repo_hook, write:repo_hook, repo, read:repo_hook\]/,
    );
    await expect(run({ repoUrl: `${github.host}?owner=acme` })).rejects.toThrow(
      /names no repository; add repo=<name>, or set scope: organization/,
    );
  });

  it('registers only URLs of this Backstage or listed in slipway.github.allowedWebhookUrls, refusing any other before GitHub is called', async () => {
    github.createRepo('acme', 'hook-urls');
    const repoUrl = `${github.host}?owner=acme&repo=hook-urls`;
    const before = github.requests.length;
    const own = new URL(slipway.webhookUrl);
    for (const webhookUrl of [
      'https://attacker.example.net/collect',
      `${slipway.webhookUrl}?copy=https://attacker.example.net`,
      `${own.protocol}//attacker@${own.host}${own.pathname}`,
      `${slipway.webhookUrl}/../../../evil`,
      'ftp://backstage.example.com/api/slipway/webhooks/github',
    ]) {
      await expect(run({ repoUrl, webhookUrl })).rejects.toMatchObject({
        name: 'InputError',
        message: expect.stringMatching(
          /is not this Backstage's webhook endpoint \(.*\) nor listed in slipway\.github\.allowedWebhookUrls, so no hook was registered|Invalid webhookUrl .*: use an http\(s\) URL/,
        ),
      });
    }
    // Also for an organization hook, and in a dry run.
    await expect(
      run({ repoUrl, scope: 'organization', webhookUrl: 'https://x.test/' }),
    ).rejects.toThrow(/nor listed in slipway\.github\.allowedWebhookUrls/);
    await expect(
      run({ repoUrl, webhookUrl: 'https://x.test/' }, { dryRun: true }),
    ).rejects.toThrow(/nor listed in slipway\.github\.allowedWebhookUrls/);
    await expect(
      run(
        { repoUrl },
        { github: { webhookUrl: 'ftp://hooks.example.com/github' } },
      ),
    ).rejects.toThrow(
      /slipway\.github\.webhookUrl "ftp:\/\/hooks\.example\.com\/github" is no http\(s\) URL/,
    );
    expect(github.requests.length).toBe(before);
    expect(github.hooksOf('acme/hook-urls')).toEqual([]);

    // Its own endpoint (also spelled with another case), the configured
    // public URL, and a listed URL are accepted.
    const upper = slipway.webhookUrl.replace('http://', 'HTTP://');
    expect(await run({ repoUrl, webhookUrl: upper })).toMatchObject({
      created: true,
    });
    const publicUrl = 'https://public.example.com/api/slipway/webhooks/github';
    expect(
      await run(
        { repoUrl, webhookUrl: publicUrl },
        { github: { webhookUrl: publicUrl } },
      ),
    ).toMatchObject({ created: true, webhookUrl: publicUrl });
    expect(await run({ repoUrl, webhookUrl: ALLOWED_URL })).toMatchObject({
      created: true,
    });
    expect(
      github
        .hooksOf('acme/hook-urls')
        .map(h => h.config.url)
        .sort(),
    ).toEqual([ALLOWED_URL, publicUrl, upper].sort());
  });

  it('makes no GitHub call in a dry run', async () => {
    const before = github.requests.length;
    const outputs = await run(
      { repoUrl: `${github.host}?owner=acme&repo=orders`, verify: true },
      { dryRun: true },
    );
    expect(outputs).toMatchObject({ created: true, verified: false });
    expect(github.requests.length).toBe(before);
  });
});
