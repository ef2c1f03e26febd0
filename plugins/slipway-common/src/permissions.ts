import { createPermission } from '@backstage/plugin-permission-common';

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
});

/**
 * Remove an app and its containers.
 *
 * @public
 */
export const slipwayAppDeletePermission = createPermission({
  name: 'slipway.app.delete',
  attributes: { action: 'delete' },
});

/**
 * Queue a deployment of an app.
 *
 * @public
 */
export const slipwayDeployPermission = createPermission({
  name: 'slipway.deployment.create',
  attributes: { action: 'create' },
});

/**
 * Roll an app back to an earlier deployment.
 *
 * @public
 */
export const slipwayRollbackPermission = createPermission({
  name: 'slipway.deployment.rollback',
  attributes: { action: 'update' },
});

/**
 * Cancel a deployment that has not finished.
 *
 * @public
 */
export const slipwayCancelPermission = createPermission({
  name: 'slipway.deployment.cancel',
  attributes: { action: 'update' },
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
  slipwayDeliveryReprocessPermission,
];
