import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Knex } from 'knex';
import request from 'supertest';
import { slipwayPlugin } from '../../plugin';
import { signGithubPayload } from '../signature';

type Entity = NonNullable<
  NonNullable<Parameters<typeof catalogServiceMock>[0]>['entities']
>[number];

/** The webhook secret test backends are configured with. */
export const TEST_SECRET = 'slipway-test-secret';

/** A catalog entity naming a repository by `github.com/project-slug`. */
export function repoEntity(name: string, slug: string): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      annotations: { 'github.com/project-slug': slug },
    },
    spec: { type: 'service', owner: 'guests', lifecycle: 'experimental' },
  };
}

/**
 * Starts the real plugin (HTTP through the backend's own router and auth
 * policies) on a real database, with an in-memory catalog.
 */
export async function startWatchBackend(options: {
  knex: Knex;
  config?: Record<string, any>;
  entities?: Entity[];
  extraFeatures?: any[];
}) {
  const config = {
    slipway: {
      github: { webhookSecrets: [TEST_SECRET] },
      cicd: { polling: { enabled: false } },
      events: { stream: { pollIntervalMs: 100, heartbeatSeconds: 15 } },
    },
    ...options.config,
  };
  const backend = await startTestBackend({
    features: [
      slipwayPlugin,
      mockServices.database.factory({ knex: options.knex }),
      mockServices.rootConfig.factory({ data: config }),
      catalogServiceMock.factory({ entities: options.entities ?? [] }),
      ...(options.extraFeatures ?? []),
    ],
  });
  return backend;
}

let counter = 0;

/** A fresh delivery GUID. */
export function deliveryId(): string {
  counter += 1;
  return `00000000-0000-4000-8000-${String(Date.now() % 1e6).padStart(
    6,
    '0',
  )}${String(counter).padStart(6, '0')}`;
}

/** POSTs a signed delivery the way GitHub does. */
export function sendDelivery(
  server: any,
  event: string,
  payload: unknown,
  options: { id?: string; secret?: string } = {},
) {
  const body = JSON.stringify(payload);
  return request(server)
    .post('/api/slipway/webhooks/github')
    .set('content-type', 'application/json')
    .set('x-github-event', event)
    .set('x-github-delivery', options.id ?? deliveryId())
    .set(
      'x-hub-signature-256',
      signGithubPayload(options.secret ?? TEST_SECRET, body),
    )
    .send(body);
}
