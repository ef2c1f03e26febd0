import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { createSlipwayActions } from './actions';

/**
 * Adds the Slipway actions (`slipway:*`) to the scaffolder.
 *
 * @public
 */
export const scaffolderModuleSlipway = createBackendModule({
  pluginId: 'scaffolder',
  moduleId: 'slipway',
  register(env) {
    env.registerInit({
      deps: {
        scaffolder: scaffolderActionsExtensionPoint,
        config: coreServices.rootConfig,
        discovery: coreServices.discovery,
        auth: coreServices.auth,
      },
      async init({ scaffolder, config, discovery, auth }) {
        scaffolder.addActions(
          ...createSlipwayActions({ config, discovery, auth }),
        );
      },
    });
  },
});
