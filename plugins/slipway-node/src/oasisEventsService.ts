import {
  coreServices,
  createServiceFactory,
  createServiceRef,
} from '@backstage/backend-plugin-api';
import type {
  OasisEvent,
  OasisEventInput,
} from '@slipway/plugin-slipway-common';

/**
 * Publishes OASIS events into Slipway's events table from any backend plugin
 * (deploy watchers, agent heartbeats, custom integrations).
 *
 * @public
 */
export interface OasisEventsService {
  /** Stores one event and returns it as stored (with id and createdAt). */
  publish(event: OasisEventInput): Promise<OasisEvent>;
}

/**
 * Service ref for {@link OasisEventsService}. The default implementation
 * calls `POST /api/slipway/events` with the calling plugin's service
 * credentials, so it works whether or not Slipway runs in the same backend.
 *
 * @public
 */
export const oasisEventsServiceRef = createServiceRef<OasisEventsService>({
  id: 'slipway.oasis-events',
  defaultFactory: async service =>
    createServiceFactory({
      service,
      deps: { discovery: coreServices.discovery, auth: coreServices.auth },
      factory({ discovery, auth }) {
        return {
          async publish(event) {
            const baseUrl = await discovery.getBaseUrl('slipway');
            const { token } = await auth.getPluginRequestToken({
              onBehalfOf: await auth.getOwnServiceCredentials(),
              targetPluginId: 'slipway',
            });
            const response = await fetch(`${baseUrl}/events`, {
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                authorization: `Bearer ${token}`,
              },
              body: JSON.stringify(event),
            });
            if (!response.ok) {
              const text = await response.text();
              throw new Error(
                `Slipway refused the event (HTTP ${
                  response.status
                }): ${text.slice(0, 500)}`,
              );
            }
            return (await response.json()) as OasisEvent;
          },
        };
      },
    }),
});
