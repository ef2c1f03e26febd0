import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { SlipwayClient, slipwayApiRef } from './api';
import { rootRouteRef } from './routes';

/**
 * The Slipway frontend plugin for the legacy app system.
 *
 * @public
 */
export const slipwayPlugin = createPlugin({
  id: 'slipway',
  apis: [
    createApiFactory({
      api: slipwayApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: deps => new SlipwayClient(deps),
    }),
  ],
  routes: { root: rootRouteRef },
});

/**
 * The platform-wide Slipway live console (legacy app system); mount it at
 * `/slipway`.
 *
 * @public
 */
export const SlipwayConsolePage = slipwayPlugin.provide(
  createRoutableExtension({
    name: 'SlipwayConsolePage',
    component: () =>
      import('./components/SlipwayConsolePage').then(m => m.SlipwayConsolePage),
    mountPoint: rootRouteRef,
  }),
);

/**
 * CI/CD status card for entity pages (legacy app system): latest run per
 * workflow, the current deployment and the webhook state, live.
 *
 * @public
 */
export const EntityCicdStatusCard = slipwayPlugin.provide(
  createComponentExtension({
    name: 'EntityCicdStatusCard',
    component: {
      lazy: () =>
        import('./components/CicdStatusCard').then(m => m.CicdStatusCard),
    },
  }),
);

/**
 * "Live feed" entity tab (legacy app system); route it at `/live-feed`.
 *
 * @public
 */
export const EntityLiveFeedContent = slipwayPlugin.provide(
  createComponentExtension({
    name: 'EntityLiveFeedContent',
    component: {
      lazy: () =>
        import('./components/EntityLiveFeed').then(m => m.EntityLiveFeed),
    },
  }),
);

/**
 * "Deployments" entity tab (legacy app system); route it at `/deployments`.
 *
 * @public
 */
export const EntityDeploymentsContent = slipwayPlugin.provide(
  createComponentExtension({
    name: 'EntityDeploymentsContent',
    component: {
      lazy: () =>
        import('./components/Deployments').then(m => m.DeploymentsContent),
    },
  }),
);
