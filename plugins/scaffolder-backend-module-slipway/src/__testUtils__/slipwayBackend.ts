import { DiscoveryService } from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import slipwayPlugin from '@slipway/plugin-slipway-backend';
import { inMemoryDatabases } from '@slipway/test-utils';
import { AddressInfo } from 'node:net';

export const WEBHOOK_SECRET = 'slipway-scaffolder-test-secret';

/**
 * The real Slipway backend plugin (webhooks, deliveries, deploy API) on
 * SQLite, reachable on 127.0.0.1, with discovery pointing at it. Its mock
 * catalog serves a Component for each of `entityRefs` (Slipway shows an app
 * registered for an entity only to users the catalog serves it to).
 */
export async function startSlipwayBackend(
  config: Record<string, unknown> = {},
  entityRefs: string[] = [],
) {
  const backend = await startTestBackend({
    features: [
      inMemoryDatabases(),
      slipwayPlugin,
      mockServices.rootConfig.factory({
        data: {
          slipway: {
            github: { webhookSecrets: [WEBHOOK_SECRET] },
            cicd: { polling: { enabled: false } },
          },
          ...config,
        },
      }),
      catalogServiceMock.factory({
        entities: entityRefs.map(ref => {
          const [, namespace, name] = ref.match(/^component:([^/]+)\/(.+)$/)!;
          return {
            apiVersion: 'backstage.io/v1alpha1',
            kind: 'Component',
            metadata: { name, namespace },
            spec: { type: 'service', owner: 'guests', lifecycle: 'production' },
          };
        }),
      }),
    ],
  });
  const { port } = backend.server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const discovery: DiscoveryService = {
    getBaseUrl: async pluginId => `${baseUrl}/api/${pluginId}`,
    getExternalBaseUrl: async pluginId => `${baseUrl}/api/${pluginId}`,
  };
  return {
    backend,
    baseUrl,
    discovery,
    auth: mockServices.auth(),
    webhookUrl: `${baseUrl}/api/slipway/webhooks/github`,
    stop: () => backend.stop(),
  };
}
