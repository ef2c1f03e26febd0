import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { createTestDatabases } from '@slipway/test-utils';
import request from 'supertest';
import {
  repoEntity,
  sendDelivery,
  startWatchBackend,
  TEST_SECRET,
} from '../webhooks/__testUtils__/testBackend';
import { AppLink, EntityRefResolver } from './EntityRefResolver';

jest.setTimeout(60_000);

const databases = createTestDatabases();

/** An entity that names the Slipway app deploying it, and no repository. */
function appEntity(name: string, app: string) {
  return {
    ...repoEntity(name, 'unused/unused'),
    metadata: {
      name,
      namespace: 'default',
      annotations: { 'slipway.dev/app': app },
    },
  };
}

describe('EntityRefResolver', () => {
  it('links a repository to its entity by slug, else through the app deployed from it', async () => {
    let apps: AppLink[] = [
      { name: 'shop', repoUrl: 'file:///srv/git/acme/shop.git' },
      {
        name: 'billing',
        repoUrl: 'https://github.com/acme/billing',
        entityRef: 'Component:default/Billing',
      },
      { name: 'orphan', repoUrl: 'https://github.com/acme/orphan' },
    ];
    const resolver = new EntityRefResolver({
      catalog: catalogServiceMock({
        entities: [
          repoEntity('web', 'acme/web'),
          appEntity('shop-service', 'shop'),
        ],
      }),
      auth: mockServices.auth(),
      apps: async () => apps,
      appsTtlMs: 0,
    });

    expect(await resolver.forRepo('Acme/Web')).toBe('component:default/web');
    // No slug names acme/shop; the entity naming its app does.
    expect(await resolver.forRepo('acme/shop')).toBe(
      'component:default/shop-service',
    );
    // An app registered for an entity links its repository to that entity.
    expect(await resolver.forRepo('acme/billing')).toBe(
      'component:default/billing',
    );
    expect(await resolver.forRepo('acme/orphan')).toBeNull();
    expect(await resolver.forRepo('acme/unknown')).toBeNull();

    expect(await resolver.forApp('shop')).toBe(
      'component:default/shop-service',
    );
    expect(await resolver.appForEntity('Component:default/shop-service')).toBe(
      'shop',
    );
    expect(await resolver.repoForEntity('component:default/web')).toBe(
      'acme/web',
    );
    expect(await resolver.repoForEntity('component:default/shop-service')).toBe(
      'acme/shop',
    );
    expect(await resolver.repoForEntity('component:default/billing')).toBe(
      'acme/billing',
    );
    // Only repositories named in the catalog are polled.
    expect(await resolver.repositories()).toEqual(['acme/web']);

    // A new app is seen without waiting for the catalog cache.
    apps = [
      ...apps,
      { name: 'orphan', repoUrl: 'https://github.com/acme/late' },
    ];
    expect(await resolver.forRepo('acme/late')).toBeNull();
    apps = [{ name: 'shop', repoUrl: 'https://github.com/acme/moved' }];
    expect(await resolver.forRepo('acme/moved')).toBe(
      'component:default/shop-service',
    );
  });

  it('answers without entity while the catalog fails, and asks again on the next call', async () => {
    let calls = 0;
    const catalog = catalogServiceMock({
      entities: [repoEntity('web', 'acme/web')],
    });
    const getEntities = catalog.getEntities.bind(catalog);
    catalog.getEntities = async (...args) => {
      calls++;
      if (calls === 1) throw new Error('catalog is starting');
      return getEntities(...args);
    };
    const resolver = new EntityRefResolver({
      catalog,
      auth: mockServices.auth(),
    });
    expect(await resolver.forRepo('acme/web')).toBeNull();
    expect(await resolver.forRepo('acme/web')).toBe('component:default/web');
    expect(await resolver.forRepo('acme/web')).toBe('component:default/web');
    expect(calls).toBe(2);
  });

  it.each(databases.eachSupportedId())(
    'gives the events, CI/CD status and deployment of an app to the entity naming it with slipway.dev/app, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const backend = await startWatchBackend({
        knex,
        entities: [appEntity('shop-service', 'shop')],
        config: {
          slipway: {
            allowedRepositories: ['file://'],
            github: { webhookSecrets: [TEST_SECRET] },
            cicd: { polling: { enabled: false } },
            // Queued deployments must not build anything here.
            deploy: { docker: { socketPath: '/nonexistent/docker.sock' } },
          },
        },
      });
      const server = backend.server;
      try {
        // The app is registered without an entityRef.
        const created = await request(server)
          .post('/api/slipway/apps')
          .set({ Authorization: mockCredentials.user.header() })
          .send({ name: 'shop', repoUrl: 'file:///srv/git/acme/shop.git' });
        expect(created.status).toBe(201);

        const examples: Array<{
          name: string;
          examples: any[];
        }> = require('@octokit/webhooks-examples/api.github.com/index.json');
        const run = examples.find(e => e.name === 'workflow_run')!.examples[0];
        const payload = {
          ...run,
          repository: {
            ...run.repository,
            name: 'shop',
            full_name: 'acme/shop',
          },
        };
        const delivered = await sendDelivery(server, 'workflow_run', payload);
        expect(delivered.status).toBe(202);
        expect(delivered.body.result).toBe('stored');

        const feed = await request(server)
          .get('/api/slipway/events')
          .query({ entityRef: 'component:default/shop-service' })
          .set({ Authorization: mockCredentials.user.header() });
        expect(feed.status).toBe(200);
        const kinds = feed.body.items.map((e: any) => e.kind);
        // The GitHub run and the deploy engine's steps of the app alike.
        expect(kinds).toContain('workflow_run');
        expect(kinds).toContain('deployment');

        const status = await request(server)
          .get('/api/slipway/cicd/status')
          .query({ entityRef: 'component:default/shop-service' })
          .set({ Authorization: mockCredentials.user.header() });
        expect(status.status).toBe(200);
        expect(status.body.repo).toBe('acme/shop');
        expect(status.body.branches[0].workflows[0].runId).toBe(
          run.workflow_run.id,
        );
        expect(status.body.deployment).toMatchObject({
          app: 'shop',
          id: created.body.deployment.id,
        });
      } finally {
        await backend.stop();
      }
    },
  );
});
