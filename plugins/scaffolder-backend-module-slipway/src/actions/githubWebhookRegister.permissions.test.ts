import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import scaffolderEntityModel from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import { GithubTestServer } from '@slipway/github-test-server';
import {
  catalogAndPermissions,
  inMemoryDatabases,
  permissionConfig,
  waitForEntities,
} from '@slipway/test-utils';
import { AddressInfo } from 'node:net';
import { scaffolderModuleSlipway } from '../module';
import { startGithub, TOKENS } from '../__testUtils__/github';

jest.setTimeout(120_000);

const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';

/** A template with one step: the webhook action, scope and owner as parameters. */
const template = {
  apiVersion: 'scaffolder.backstage.io/v1beta3',
  kind: 'Template',
  metadata: { name: 'register-hook', namespace: 'default' },
  spec: {
    owner: ALICE,
    type: 'service',
    parameters: [
      {
        properties: {
          repoUrl: { type: 'string' },
          scope: { type: 'string' },
        },
      },
    ],
    steps: [
      {
        id: 'hook',
        name: 'Register webhook',
        action: 'slipway:github:webhook:register',
        input: {
          repoUrl: '${{ parameters.repoUrl }}',
          scope: '${{ parameters.scope }}',
        },
      },
    ],
  },
};

/**
 * The real scaffolder runs the action for a user; the real permission
 * backend asks a policy that grants slipway.github.orgWebhook.create to
 * alice only. The integration token (alice's) may create organization
 * hooks on GitHub, so only the permission stops bob.
 */
describe('slipway:github:webhook:register: who may register an organization hook', () => {
  let github: GithubTestServer;
  let backend: Awaited<ReturnType<typeof startTestBackend>>;
  let baseUrl: string;

  beforeAll(async () => {
    github = await startGithub();
    github.createRepo('acme', 'orders');
    backend = await startTestBackend({
      features: [
        inMemoryDatabases(),
        scaffolderPlugin,
        scaffolderModuleSlipway,
        scaffolderEntityModel,
        ...catalogAndPermissions({
          entities: [template],
          policy: {
            async handle(request, user) {
              if (
                request.permission.name !== 'slipway.github.orgWebhook.create'
              )
                return { result: AuthorizeResult.ALLOW };
              return {
                result:
                  user?.info.userEntityRef === ALICE
                    ? AuthorizeResult.ALLOW
                    : AuthorizeResult.DENY,
              };
            },
          },
        }),
        mockServices.rootConfig.factory({
          data: {
            ...permissionConfig,
            integrations: { github: [github.integrationConfig(TOKENS.alice)] },
            slipway: { github: { webhookSecrets: ['permission-test-secret'] } },
          },
        }),
      ],
    });
    baseUrl = `http://127.0.0.1:${
      (backend.server.address() as AddressInfo).port
    }`;
    await waitForEntities(baseUrl, ['template:default/register-hook']);
  });

  afterAll(async () => {
    await backend?.stop();
    await github?.close();
  });

  /** Runs the template as `user`; its final status and log. */
  const runAs = async (user: string, values: Record<string, string>) => {
    const headers = {
      authorization: mockCredentials.user.header(user),
      'content-type': 'application/json',
    };
    const dispatched = await fetch(`${baseUrl}/api/scaffolder/v2/tasks`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        templateRef: 'template:default/register-hook',
        values,
      }),
    });
    expect(dispatched.status).toBe(201);
    const { id } = await dispatched.json();
    const deadline = Date.now() + 60_000;
    for (let polls = 0; polls < 600 && Date.now() < deadline; polls++) {
      const task = await (
        await fetch(`${baseUrl}/api/scaffolder/v2/tasks/${id}`, { headers })
      ).json();
      if (['completed', 'failed', 'cancelled'].includes(task.status)) {
        const events = await (
          await fetch(`${baseUrl}/api/scaffolder/v2/tasks/${id}/events`, {
            headers,
          })
        ).json();
        const log = events
          .filter((event: any) => event.type === 'log')
          .map((event: any) => String(event.body.message))
          .join('\n');
        return { status: task.status as string, log };
      }
      await new Promise(resolve => setTimeout(resolve, 100));
    }
    throw new Error(`Task ${id} did not finish within 60 s`);
  };
  const orgHookCalls = () =>
    github.requests.filter(r => r.path === '/api/v3/orgs/acme/hooks');

  it('refuses an organization hook to a user without slipway.github.orgWebhook.create, before GitHub is called', async () => {
    const bob = await runAs(BOB, {
      repoUrl: `${github.host}?owner=acme`,
      scope: 'organization',
    });
    expect(bob.status).toBe('failed');
    expect(bob.log).toContain(
      'Registering a webhook on the whole organization acme needs the permission slipway.github.orgWebhook.create, which user:default/bob does not have, so no hook was created.',
    );
    expect(github.hooksOf('acme')).toEqual([]);
    expect(orgHookCalls()).toEqual([]);
  });

  it('lets the same user register a repository hook, and a user with the permission an organization hook', async () => {
    const repoHook = await runAs(BOB, {
      repoUrl: `${github.host}?owner=acme&repo=orders`,
      scope: 'repository',
    });
    expect(repoHook.status).toBe('completed');
    expect(github.hooksOf('acme/orders')).toHaveLength(1);
    expect(orgHookCalls()).toEqual([]);

    const alice = await runAs(ALICE, {
      repoUrl: `${github.host}?owner=acme`,
      scope: 'organization',
    });
    expect(alice.status).toBe('completed');
    const [hook] = github.hooksOf('acme');
    expect(hook).toMatchObject({
      type: 'Organization',
      config: {
        url: expect.stringMatching(/\/api\/slipway\/webhooks\/github$/),
      },
    });
  });

  it('lists the permission with the scaffolder, so policies and tools can find it', async () => {
    const response = await fetch(
      `${baseUrl}/api/scaffolder/.well-known/backstage/permissions/metadata`,
      { headers: { authorization: mockCredentials.service.header() } },
    );
    expect(response.status).toBe(200);
    expect((await response.json()).permissions).toContainEqual({
      type: 'basic',
      name: 'slipway.github.orgWebhook.create',
      attributes: { action: 'create' },
    });
  });
});
