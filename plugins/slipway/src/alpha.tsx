import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import RocketIcon from '@material-ui/icons/FlightTakeoff';
import { SlipwayClient, slipwayApiRef } from './api';
import { rootRouteRef } from './routes';

const slipwayApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: slipwayApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: deps => new SlipwayClient(deps),
    }),
});

// A page with a title and icon also gets its nav item in the sidebar.
const slipwayConsolePage = PageBlueprint.make({
  params: {
    path: '/slipway',
    routeRef: rootRouteRef,
    title: 'Slipway',
    icon: <RocketIcon fontSize="inherit" />,
    loader: () =>
      import('./components/SlipwayConsolePage').then(m => (
        <m.SlipwayConsolePage />
      )),
  },
});

/**
 * The Slipway frontend plugin for the new frontend system.
 *
 * @alpha
 */
export default createFrontendPlugin({
  pluginId: 'slipway',
  title: 'Slipway',
  icon: <RocketIcon fontSize="inherit" />,
  info: { packageJson: () => import('../package.json') },
  extensions: [slipwayApi, slipwayConsolePage],
  routes: { root: rootRouteRef },
});
