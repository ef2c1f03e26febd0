import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { createTestDatabases, dockerReachable } from '@slipway/test-utils';
import request from 'supertest';
import { slipwayPlugin } from './plugin';

jest.setTimeout(60_000);

const databases = createTestDatabases();

describe('slipway backend plugin', () => {
  it.each(databases.eachSupportedId())(
    'migrates and reports health on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const { server } = await startTestBackend({
        features: [
          slipwayPlugin,
          mockServices.database.factory({ knex }),
          mockServices.rootConfig.factory({ data: {} }),
        ],
      });

      // Unauthenticated: no credentials are sent.
      const response = await request(server).get('/api/slipway/health');
      expect(response.status).toBe(200);
      expect(response.body.database.status).toBe('ok');

      const docker = dockerReachable();
      expect(response.body.docker.status).toBe(
        docker.reachable ? 'ok' : 'unavailable',
      );
      expect(response.body.docker.endpoint).toMatch(/^(unix|tcp|http)/);

      const columns = await knex('oasis_events').columnInfo();
      expect(Object.keys(columns).sort()).toEqual(
        [
          'created_at',
          'entity_ref',
          'id',
          'kind',
          'layer',
          'link',
          'meta',
          'module',
          'ref',
          'repo',
          'source',
          'status',
          'title',
          'vtid',
        ].sort(),
      );
      await expect(
        knex('oasis_events').insert({
          module: 'X',
          source: 's',
          kind: 'k',
          status: 'bogus',
          title: 't',
        }),
      ).rejects.toThrow();
    },
  );

  it('reports an unreachable Docker engine with its address and reason', async () => {
    const knex = await databases.init('SQLITE_3');
    const { server } = await startTestBackend({
      features: [
        slipwayPlugin,
        mockServices.database.factory({ knex }),
        mockServices.rootConfig.factory({
          data: {
            slipway: {
              deploy: { docker: { socketPath: '/nonexistent/docker.sock' } },
            },
          },
        }),
      ],
    });
    const response = await request(server).get('/api/slipway/health');
    expect(response.status).toBe(200);
    expect(response.body.status).toBe('degraded');
    expect(response.body.docker).toMatchObject({
      status: 'unavailable',
      endpoint: 'unix:///nonexistent/docker.sock',
    });
    expect(response.body.docker.message).toContain('ENOENT');
  });
});
