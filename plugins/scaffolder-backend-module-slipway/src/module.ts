import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { scaffolderActionsExtensionPoint } from '@backstage/plugin-scaffolder-node';
import { slipwayGithubOrgWebhookCreatePermission } from '@slipway/plugin-slipway-common';
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
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
      },
      async init({
        scaffolder,
        config,
        discovery,
        auth,
        permissions,
        permissionsRegistry,
      }) {
        // Listed with the scaffolder's permissions, where the action checks it.
        permissionsRegistry.addPermissions([
          slipwayGithubOrgWebhookCreatePermission,
        ]);
        scaffolder.addActions(
          ...createSlipwayActions({ config, discovery, auth, permissions }),
        );
      },
    });
  },
});
