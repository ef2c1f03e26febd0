import type {
  AuthService,
  PermissionsRegistryService,
} from '@backstage/backend-plugin-api';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { isResourcePermission } from '@backstage/plugin-permission-common';
import {
  SLIPWAY_APP_RESOURCE_TYPE,
  slipwayPermissions,
} from '@slipway/plugin-slipway-common';
import type { AppRecord } from '../deploy/store/records';
import { createAppResourceLoader } from './appResources';
import {
  slipwayAppPermissionResourceRef,
  slipwayAppPermissionRules,
} from '@slipway/plugin-slipway-node';

/**
 * Registers every permission the Slipway backend checks, and the
 * `slipway-app` resource type (its rules and how apps are loaded), so the
 * permission backend can resolve conditional decisions on apps through this
 * plugin's apply-conditions endpoint.
 */
export function registerSlipwayPermissions(options: {
  registry: PermissionsRegistryService;
  getApp: (name: string) => Promise<AppRecord | undefined>;
  catalog: CatalogService;
  auth: AuthService;
}) {
  const { registry } = options;
  registry.addResourceType({
    resourceRef: slipwayAppPermissionResourceRef,
    permissions: slipwayPermissions.filter(permission =>
      isResourcePermission(permission, SLIPWAY_APP_RESOURCE_TYPE),
    ),
    rules: Object.values(slipwayAppPermissionRules),
    getResources: createAppResourceLoader(options),
  });
  registry.addPermissions(
    slipwayPermissions.filter(permission => permission.type === 'basic'),
  );
}
