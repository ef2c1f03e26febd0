import { createPermission } from '@backstage/plugin-permission-common';

/**
 * The resource type of a Slipway app: app and deployment permissions are
 * resource permissions of this type, and their resource ref is the app's
 * name, so a policy can decide per app (for example "owners of the app's
 * catalog entity deploy it").
 *
 * @public
 */
export const SLIPWAY_APP_RESOURCE_TYPE = 'slipway-app';

/**
 * Publish an OASIS event through `POST /api/slipway/events`.
 *
 * @public
 */
export const slipwayEventCreatePermission = createPermission({
  name: 'slipway.event.create',
  attributes: { action: 'create' },
});

/**
 * Register an app with the deploy engine.
 *
 * @public
 */
export const slipwayAppCreatePermission = createPermission({
  name: 'slipway.app.create',
  attributes: { action: 'create' },
});

/**
 * Change an app's configuration.
 *
 * @public
 */
export const slipwayAppUpdatePermission = createPermission({
  name: 'slipway.app.update',
  attributes: { action: 'update' },
  resourceType: SLIPWAY_APP_RESOURCE_TYPE,
});

/**
 * Remove an app and its containers.
 *
 * @public
 */
export const slipwayAppDeletePermission = createPermission({
  name: 'slipway.app.delete',
  attributes: { action: 'delete' },
  resourceType: SLIPWAY_APP_RESOURCE_TYPE,
});

/**
 * Queue a deployment of an app.
 *
 * @public
 */
export const slipwayDeployPermission = createPermission({
  name: 'slipway.deployment.create',
  attributes: { action: 'create' },
  resourceType: SLIPWAY_APP_RESOURCE_TYPE,
});

/**
 * Roll an app back to an earlier deployment.
 *
 * @public
 */
export const slipwayRollbackPermission = createPermission({
  name: 'slipway.deployment.rollback',
  attributes: { action: 'update' },
  resourceType: SLIPWAY_APP_RESOURCE_TYPE,
});

/**
 * Cancel a deployment that has not finished.
 *
 * @public
 */
export const slipwayCancelPermission = createPermission({
  name: 'slipway.deployment.cancel',
  attributes: { action: 'update' },
  resourceType: SLIPWAY_APP_RESOURCE_TYPE,
});

/**
 * Replay a stored webhook delivery through the mapping.
 *
 * @public
 */
export const slipwayDeliveryReprocessPermission = createPermission({
  name: 'slipway.delivery.reprocess',
  attributes: { action: 'update' },
});

/**
 * Approve a deployment that waits in `awaiting_approval` (the requester
 * cannot approve their own).
 *
 * @public
 */
export const slipwayDeploymentApprovePermission = createPermission({
  name: 'slipway.deployment.approve',
  attributes: { action: 'update' },
  resourceType: SLIPWAY_APP_RESOURCE_TYPE,
});

/**
 * Read raw webhook deliveries (`GET /deliveries`, full GitHub payloads).
 * Not for ordinary users: a payload can carry what the catalog would not
 * show them.
 *
 * @public
 */
export const slipwayDeliveryReadPermission = createPermission({
  name: 'slipway.delivery.read',
  attributes: { action: 'read' },
});

/**
 * Register a webhook on a whole GitHub organization with the scaffolder
 * action `slipway:github:webhook:register` (`scope: organization`). Such a
 * hook receives the events of every repository of the organization, and the
 * integration token that creates it usually may do so for any of them, so
 * it needs its own grant. Checked by the scaffolder module (registered with
 * the scaffolder's permissions), with the credentials of the user who runs
 * the template.
 *
 * @public
 */
export const slipwayGithubOrgWebhookCreatePermission = createPermission({
  name: 'slipway.github.orgWebhook.create',
  attributes: { action: 'create' },
});

/**
 * Every permission the Slipway backend checks.
 *
 * @public
 */
export const slipwayPermissions = [
  slipwayEventCreatePermission,
  slipwayAppCreatePermission,
  slipwayAppUpdatePermission,
  slipwayAppDeletePermission,
  slipwayDeployPermission,
  slipwayRollbackPermission,
  slipwayCancelPermission,
  slipwayDeploymentApprovePermission,
  slipwayDeliveryReadPermission,
  slipwayDeliveryReprocessPermission,
];
