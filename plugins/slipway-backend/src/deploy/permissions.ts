import {
  slipwayAppCreatePermission,
  slipwayAppDeletePermission,
  slipwayAppUpdatePermission,
  slipwayCancelPermission,
  slipwayDeployPermission,
  slipwayRollbackPermission,
} from '@slipway/plugin-slipway-common';

/** The permissions the deploy routes check, for the permissions registry. */
export const deployPermissions = [
  slipwayAppCreatePermission,
  slipwayAppUpdatePermission,
  slipwayAppDeletePermission,
  slipwayDeployPermission,
  slipwayRollbackPermission,
  slipwayCancelPermission,
];
