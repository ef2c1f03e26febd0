import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import RocketIcon from '@material-ui/icons/FlightTakeoff';
import { z } from 'zod';
import { SlipwayClient, slipwayApiRef } from './api';
import { rootRouteRef } from './routes';

/**
 * The Slipway API (`slipwayApiRef`) for the new frontend system.
 *
 * @alpha
 */
const slipwayApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: slipwayApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: deps => new SlipwayClient(deps),
    }),
});

const feedConfig = {
  pageSize: z.number().int().min(1).max(500).default(50),
  height: z.number().int().min(200).default(640),
};

/**
 * The `/slipway` console page; configurable `pageSize` and `height` of its
 * feed.
 *
 * @alpha
 */
// A page with a title and icon also gets its nav item in the sidebar.
const slipwayConsolePage = PageBlueprint.makeWithOverrides({
  configSchema: feedConfig,
  factory(originalFactory, { config }) {
    return originalFactory({
      path: '/slipway',
      routeRef: rootRouteRef,
      title: 'Slipway',
      icon: <RocketIcon fontSize="inherit" />,
      loader: () =>
        import('./components/SlipwayConsolePage').then(m => (
          <m.SlipwayConsolePage
            pageSize={config.pageSize}
            height={config.height}
          />
        )),
    });
  },
});

/**
 * The CI/CD status card of entities that name a GitHub repository or a
 * Slipway app.
 *
 * @alpha
 */
const entityCicdStatusCard = EntityCardBlueprint.make({
  name: 'cicd-status',
  params: {
    // Entities that name a GitHub repository or a Slipway app.
    filter: {
      $any: [
        { 'metadata.annotations.github.com/project-slug': { $exists: true } },
        { 'metadata.annotations.slipway.dev/app': { $exists: true } },
      ],
    },
    loader: () =>
      import('./components/CicdStatusCard').then(m => <m.CicdStatusCard />),
  },
});

/**
 * The "Live feed" entity tab; configurable `pageSize` and `height`.
 *
 * @alpha
 */
const entityLiveFeedContent = EntityContentBlueprint.makeWithOverrides({
  name: 'live-feed',
  configSchema: feedConfig,
  factory(originalFactory, { config }) {
    return originalFactory({
      path: '/live-feed',
      title: 'Live feed',
      filter: {
        $any: [
          { 'metadata.annotations.github.com/project-slug': { $exists: true } },
          { 'metadata.annotations.slipway.dev/app': { $exists: true } },
        ],
      },
      loader: () =>
        import('./components/EntityLiveFeed').then(m => (
          <m.EntityLiveFeed pageSize={config.pageSize} height={config.height} />
        )),
    });
  },
});

/**
 * The "Deployments" entity tab of entities with the `slipway.dev/app`
 * annotation.
 *
 * @alpha
 */
const entityDeploymentsContent = EntityContentBlueprint.make({
  name: 'deployments',
  params: {
    path: '/deployments',
    title: 'Deployments',
    filter: { 'metadata.annotations.slipway.dev/app': { $exists: true } },
    loader: () =>
      import('./components/Deployments').then(m => <m.DeploymentsContent />),
  },
});

/**
 * The Slipway frontend plugin for the new frontend system: the API, the
 * `/slipway` console page with its nav item, the CI/CD status card and the
 * "Live feed" and "Deployments" entity tabs.
 *
 * @alpha
 */
export default createFrontendPlugin({
  pluginId: 'slipway',
  title: 'Slipway',
  icon: <RocketIcon fontSize="inherit" />,
  info: { packageJson: () => import('../package.json') },
  extensions: [
    slipwayApi,
    slipwayConsolePage,
    entityCicdStatusCard,
    entityLiveFeedContent,
    entityDeploymentsContent,
  ],
  routes: { root: rootRouteRef },
});

export {
  entityCicdStatusCard,
  entityLiveFeedContent,
  entityDeploymentsContent,
  slipwayConsolePage,
  slipwayApi,
};
