import {
  createApiFactory,
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
 * The platform-wide Slipway console page (legacy app system).
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
