import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import scaffolderEntityModel from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import {
  AuthorizeResult,
  isResourcePermission,
} from '@backstage/plugin-permission-common';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import slipwayPlugin from '@slipway/plugin-slipway-backend';
import { SLIPWAY_APP_RESOURCE_TYPE } from '@slipway/plugin-slipway-common';
import {
  createSlipwayAppConditionalDecision,
  slipwayAppConditions,
} from '@slipway/plugin-slipway-node';
import {
  catalogAndPermissions,
  componentEntity,
  inMemoryDatabases,
  permissionConfig,
  waitForEntities,
} from '@slipway/test-utils';
import { AddressInfo } from 'node:net';
import { scaffolderModuleSlipway } from '../module';

jest.setTimeout(120_000);

const ALICE = 'user:default/alice';
const BOB = 'user:default/bob';

/** One step: slipway:deploy of the app `orders-app` with the given env. */
const template = {
  apiVersion: 'scaffolder.backstage.io/v1beta3',
  kind: 'Template',
  metadata: { name: 'deploy-orders', namespace: 'default' },
  spec: {
    owner: ALICE,
    type: 'service',
    parameters: [{ properties: { mode: { type: 'string' } } }],
    steps: [
      {
        id: 'deploy',
        name: 'Deploy',
        action: 'slipway:deploy',
        input: {
          name: 'orders-app',
          repoUrl: 'file:///srv/orders',
          env: { MODE: '${{ parameters.mode }}' },
          wait: false,
        },
      },
    ],
  },
};

/** One step: slipway:deploy of a new app for the given entity. */
const entityTemplate = {
  apiVersion: 'scaffolder.backstage.io/v1beta3',
  kind: 'Template',
  metadata: { name: 'deploy-for-entity', namespace: 'default' },
  spec: {
    owner: ALICE,
    type: 'service',
    parameters: [
      {
        properties: {
          app: { type: 'string' },
          entityRef: { type: 'string' },
        },
      },
    ],
    steps: [
      {
        id: 'deploy',
        name: 'Deploy',
        action: 'slipway:deploy',
        input: {
          name: '${{ parameters.app }}',
          repoUrl: 'file:///srv/orders',
          entityRef: '${{ parameters.entityRef }}',
          wait: false,
        },
      },
    ],
  },
};

/**
 * The real scaffolder runs slipway:deploy against the real Slipway backend
 * in the same backend; the real permission backend lets owners of an app's
 * entity change it and allows everything else. The scaffolder's own service
 * principal would be allowed everything, so only acting as the user who
 * runs the template stops bob.
 */
describe('slipway:deploy acts as the user who runs the template', () => {
  let backend: Awaited<ReturnType<typeof startTestBackend>>;
  let baseUrl: string;
  const asUser = (user: string) => ({
    authorization: mockCredentials.user.header(user),
    'content-type': 'application/json',
  });
  const app = async () =>
    (
      await fetch(`${baseUrl}/api/slipway/apps/orders-app`, {
        headers: asUser(ALICE),
      })
    ).json();
  const deploymentCount = async () =>
    (
      await (
        await fetch(`${baseUrl}/api/slipway/apps/orders-app/deployments`, {
          headers: asUser(ALICE),
        })
      ).json()
    ).items.length;

  beforeAll(async () => {
    backend = await startTestBackend({
      features: [
        inMemoryDatabases(),
        scaffolderPlugin,
        scaffolderModuleSlipway,
        scaffolderEntityModel,
        slipwayPlugin,
        ...catalogAndPermissions({
          entities: [
            template,
            entityTemplate,
            componentEntity('orders', ALICE),
          ],
          policy: {
            async handle(request, user) {
              if (
                !isResourcePermission(
                  request.permission,
                  SLIPWAY_APP_RESOURCE_TYPE,
                )
              ) {
                return { result: AuthorizeResult.ALLOW };
              }
              // The scaffolder's own service principal could do anything.
              if (!user) return { result: AuthorizeResult.ALLOW };
              return createSlipwayAppConditionalDecision(
                request.permission,
                slipwayAppConditions.isAppEntityOwner({
                  claims: user.info.ownershipEntityRefs,
                }),
              );
            },
          },
        }),
        mockServices.rootConfig.factory({
          data: {
            ...permissionConfig,
            slipway: {
              allowedRepositories: ['file://'],
              github: { webhookSecrets: ['deploy-permission-test'] },
              cicd: { polling: { enabled: false } },
              // No engine: queued deployments fail at once, nothing builds.
              deploy: { docker: { socketPath: '/nonexistent/docker.sock' } },
            },
          },
        }),
      ],
    });
    baseUrl = `http://127.0.0.1:${
      (backend.server.address() as AddressInfo).port
    }`;
    await waitForEntities(baseUrl, [
      'template:default/deploy-orders',
      'template:default/deploy-for-entity',
      'component:default/orders',
    ]);
    const created = await fetch(`${baseUrl}/api/slipway/apps`, {
      method: 'POST',
      headers: asUser(ALICE),
      body: JSON.stringify({
        name: 'orders-app',
        repoUrl: 'file:///srv/orders',
        entityRef: 'component:default/orders',
        env: { MODE: 'original' },
      }),
    });
    if (created.status !== 201) {
      throw new Error(`Creating orders-app answered ${created.status}`);
    }
  });

  afterAll(async () => {
    await backend?.stop();
  });

  /** Runs the template as `user`; its final status and log. */
  const runAs = async (
    user: string,
    mode: string,
    run: { templateRef: string; values: object } = {
      templateRef: 'template:default/deploy-orders',
      values: { mode },
    },
  ) => {
    const dispatched = await fetch(`${baseUrl}/api/scaffolder/v2/tasks`, {
      method: 'POST',
      headers: asUser(user),
      body: JSON.stringify(run),
    });
    expect(dispatched.status).toBe(201);
    const { id } = await dispatched.json();
    const deadline = Date.now() + 60_000;
    for (let polls = 0; polls < 600 && Date.now() < deadline; polls++) {
      const task = await (
        await fetch(`${baseUrl}/api/scaffolder/v2/tasks/${id}`, {
          headers: asUser(user),
        })
      ).json();
      if (['completed', 'failed', 'cancelled'].includes(task.status)) {
        const events = await (
          await fetch(`${baseUrl}/api/scaffolder/v2/tasks/${id}/events`, {
            headers: asUser(user),
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

  it('fails the step for a user without slipway.app.update on the app, naming the permission and the user, and leaves the app unchanged', async () => {
    const before = await deploymentCount();
    const bob = await runAs(BOB, 'bob-was-here');
    expect(bob.status).toBe('failed');
    expect(bob.log).toContain(
      `refused to deploy orders-app (403) for ${BOB}, who runs this template: You lack the permission slipway.app.update on the app orders-app`,
    );
    expect((await app()).env).toEqual({ MODE: 'original' });
    expect(await deploymentCount()).toBe(before);
  });

  it('lets the owner of the app entity update and deploy it through the same template', async () => {
    const before = await deploymentCount();
    const alice = await runAs(ALICE, 'by-alice');
    expect(alice.status).toBe('completed');
    expect((await app()).env).toEqual({ MODE: 'by-alice' });
    expect(await deploymentCount()).toBe(before + 1);
  });

  it("refuses a user an app for someone else's entity through a template, and lets the entity's owner create one", async () => {
    const forEntity = (appName: string) => ({
      templateRef: 'template:default/deploy-for-entity',
      values: { app: appName, entityRef: 'component:default/orders' },
    });
    const appStatus = async (name: string) =>
      (
        await fetch(`${baseUrl}/api/slipway/apps/${name}`, {
          headers: asUser(ALICE),
        })
      ).status;
    const bob = await runAs(BOB, '', forEntity('bobs-orders'));
    expect(bob.status).toBe('failed');
    expect(bob.log).toContain(
      'You may not register an app for component:default/orders: naming an entity needs the permission slipway.app.update',
    );
    expect(await appStatus('bobs-orders')).toBe(404);

    const alice = await runAs(ALICE, '', forEntity('alices-orders'));
    expect(alice.status).toBe('completed');
    const created = await (
      await fetch(`${baseUrl}/api/slipway/apps/alices-orders`, {
        headers: asUser(ALICE),
      })
    ).json();
    expect(created.entityRef).toBe('component:default/orders');
  });
});
