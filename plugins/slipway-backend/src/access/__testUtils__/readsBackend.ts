/*
 * A real backend for the read checks: the Slipway plugin on the test's
 * database, the real catalog and permission backends (on their own
 * in-memory SQLite), and a policy that hides one entity from the users in
 * `denied` (a conditional decision the catalog applies itself).
 */
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { PolicyDecision } from '@backstage/plugin-permission-common';
import {
  catalogAndPermissions,
  componentEntity,
  inMemoryDatabases,
  permissionConfig,
  waitForEntities,
} from '@slipway/test-utils';
import { Knex } from 'knex';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { slipwayPlugin } from '../../plugin';
import { TEST_SECRET } from '../../webhooks/__testUtils__/testBackend';

export const ALICE = 'user:default/alice';
export const MALLORY = 'user:default/mallory';
/** The only user granted slipway.delivery.read. */
export const OPS = 'user:default/ops';
export const SECRET = 'component:default/secret-svc';
export const OPEN = 'component:default/open-svc';
export const SECRET_REPO = 'acme/secret';

/** Authorization header of a user, or of a service with `service`. */
export const as = (user: string | 'service') => ({
  authorization:
    user === 'service'
      ? mockCredentials.service.header()
      : mockCredentials.user.header(user),
});

/** Hides SECRET from the users in `denied`; delivery.read for OPS only. */
async function decide(
  permission: string,
  who: string | undefined,
  denied: Set<string>,
): Promise<PolicyDecision> {
  if (permission === 'catalog.entity.read' && who && denied.has(who)) {
    return {
      result: AuthorizeResult.CONDITIONAL,
      pluginId: 'catalog',
      resourceType: 'catalog-entity',
      conditions: {
        not: {
          rule: 'HAS_METADATA',
          resourceType: 'catalog-entity',
          params: { key: 'name', value: 'secret-svc' },
        },
      },
    };
  }
  if (permission === 'slipway.delivery.read' && who && who !== OPS) {
    return { result: AuthorizeResult.DENY };
  }
  return { result: AuthorizeResult.ALLOW };
}

/**
 * Starts the backend; `denied` can change during a test (a revocation).
 * `slipway` is merged into the Slipway config.
 */
export async function startReadsBackend(
  knex: Knex,
  options: { denied: Set<string>; slipway?: Record<string, unknown> },
) {
  const backend = await startTestBackend({
    features: [
      slipwayPlugin,
      // The test's database for Slipway, in-memory SQLite for the others.
      inMemoryDatabases({ given: { slipway: knex } }),
      ...catalogAndPermissions({
        entities: [
          componentEntity('secret-svc', ALICE, {
            'github.com/project-slug': SECRET_REPO,
          }),
          componentEntity('open-svc', ALICE),
        ],
        policy: {
          handle: async (req, user) =>
            decide(
              req.permission.name,
              user?.info.userEntityRef,
              options.denied,
            ),
        },
      }),
      mockServices.rootConfig.factory({
        data: {
          ...permissionConfig,
          slipway: {
            allowedRepositories: ['file://'],
            github: { webhookSecrets: [TEST_SECRET] },
            cicd: { polling: { enabled: false } },
            deploy: { docker: { socketPath: '/nonexistent/docker.sock' } },
            events: {
              entityCacheSeconds: 1,
              stream: { pollIntervalMs: 100, heartbeatSeconds: 15 },
            },
            access: { cacheTtlSeconds: 1 },
            ...options.slipway,
          },
        },
      }),
    ],
  });
  const baseUrl = `http://127.0.0.1:${
    (backend.server.address() as AddressInfo).port
  }`;
  await waitForEntities(baseUrl, [SECRET, OPEN]);
  // The events' entity resolver reads the catalog at most once a second.
  await new Promise(r => setTimeout(r, 1100));
  return { backend, server: backend.server, baseUrl };
}

/** Publishes an event of `entityRef` (as a service); returns its id. */
export async function publish(
  server: any,
  entityRef: string | undefined,
  title: string,
): Promise<string> {
  const response = await request(server)
    .post('/api/slipway/events')
    .set(as('service'))
    .send({
      module: 'ci',
      source: 'acme.ci',
      kind: 'build',
      status: 'info',
      title,
      entityRef,
    });
  if (response.status !== 201) {
    throw new Error(`publish answered ${response.status}: ${response.text}`);
  }
  return response.body.id;
}
