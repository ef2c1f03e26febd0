/*
 * The Backstage backend that runs the whole Slipway suite: the catalog and
 * scaffolder it plugs into, guest sign-in, and the Slipway plugins.
 */
import { createBackend } from '@backstage/backend-defaults';
import { slipwayExamplePolicyModule } from './permissionPolicy';

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));

backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));

backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(
  import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'),
);
backend.add(import('@backstage/plugin-catalog-backend-module-logs'));

backend.add(import('@backstage/plugin-permission-backend'));
// Owners of an app's entity change and deploy it; admins (config
// slipway.permission.adminGroups) read and replay raw deliveries. See
// permissionPolicy.ts and the Security model in the Slipway backend README.
backend.add(slipwayExamplePolicyModule);

backend.add(import('@backstage/plugin-scaffolder-backend'));

// Signals: the user-settings storage API of the app depends on it.
backend.add(import('@backstage/plugin-signals-backend'));

// Slipway: events, webhooks, deploy engine, and its scaffolder actions.
backend.add(import('@slipway/plugin-slipway-backend'));
backend.add(import('@slipway/plugin-scaffolder-backend-module-slipway'));

backend.start();
