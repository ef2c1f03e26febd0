import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { createTestDatabases, dockerReachable } from '@slipway/test-utils';
import { Knex } from 'knex';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { openSse } from './oasis/__testUtils__/sseTestClient';
import { slipwayPlugin } from './plugin';

jest.setTimeout(60_000);

const databases = createTestDatabases();

/** The plugin alone, with a Docker socket that does not exist. */
function startWithoutDocker(knex: Knex) {
  return startTestBackend({
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
}

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

      // Without credentials: up or down, nothing about the engine.
      const anonymous = await request(server)
        .get('/api/slipway/health')
        .set('authorization', mockCredentials.none.header());
      expect(anonymous.status).toBe(200);
      expect(anonymous.body).toEqual({
        status: expect.stringMatching(/^(ok|degraded)$/),
      });
      const forged = await request(server)
        .get('/api/slipway/health')
        .set('authorization', 'Bearer not-a-token');
      expect(Object.keys(forged.body)).toEqual(['status']);

      // A service (or a user, below) sees the details.
      const service = await request(server)
        .get('/api/slipway/health')
        .set('authorization', mockCredentials.service.header());
      expect(service.body.docker.endpoint).toMatch(/^(unix|tcp|http)/);
      const response = await request(server)
        .get('/api/slipway/health')
        .set('authorization', mockCredentials.user.header());
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
    const { server } = await startWithoutDocker(knex);
    const response = await request(server).get('/api/slipway/health');
    expect(response.status).toBe(200);
    expect(response.body.status).toBe('degraded');
    expect(response.body.docker).toMatchObject({
      status: 'unavailable',
      endpoint: 'unix:///nonexistent/docker.sock',
    });
    expect(response.body.docker.message).toContain('ENOENT');
  });

  it('ends its live streams when the backend stops, so the shutdown does not wait for their clients', async () => {
    const knex = await databases.init('SQLITE_3');
    const backend = await startWithoutDocker(knex);
    // A deployment in progress, whose log a user follows.
    await knex('apps').insert({
      name: 'busy',
      repo_url: 'file:///srv/git/busy',
      port: 8080,
      created_at: new Date().toISOString(),
      updated_at: new Date().toISOString(),
    });
    const [row] = await knex('deployments')
      .insert({
        app: 'busy',
        status: 'building',
        config: '{}',
        heartbeat_ms: Date.now(),
        created_at: new Date().toISOString(),
        updated_at: new Date().toISOString(),
      })
      .returning('id');
    const id = typeof row === 'object' ? row.id : row;

    const base = `http://127.0.0.1:${
      (backend.server.address() as AddressInfo).port
    }`;
    const auth = { authorization: mockCredentials.user.header() };
    const feed = openSse(base, '/api/slipway/events/stream', auth);
    const logs = openSse(
      base,
      `/api/slipway/deployments/${id}/logs?follow=true`,
      auth,
    );
    expect(await feed.status).toBe(200);
    expect(await logs.status).toBe(200);

    // Without the streams ending, the server would wait for these clients
    // (outside development it only closes idle connections).
    await backend.stop();
    await Promise.all([feed.ended, logs.ended]);
  });
});
