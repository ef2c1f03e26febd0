/*
 * The example permission policy of this Backstage (instead of allow-all):
 *
 * - owners of an app's catalog entity (the app's `entityRef`) update,
 *   delete, deploy, roll back, cancel and approve it;
 * - members of the admin groups (`slipway.permission.adminGroups`, default
 *   group:default/admins) may do everything, and only they read raw webhook
 *   deliveries, reprocess them and register organization webhooks;
 * - every signed-in user registers apps and publishes events;
 * - everything else (catalog reads included) is allowed: the catalog then
 *   applies its own rules, exactly as with allow-all;
 * - backend plugins acting as themselves (no user) are allowed: the
 *   scaffolder acts as the template's user when it changes apps.
 */
import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import {
  AuthorizeResult,
  isResourcePermission,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import {
  SLIPWAY_APP_RESOURCE_TYPE,
  slipwayDeliveryReadPermission,
  slipwayDeliveryReprocessPermission,
  slipwayGithubOrgWebhookCreatePermission,
} from '@slipway/plugin-slipway-common';
import {
  createSlipwayAppConditionalDecision,
  slipwayAppConditions,
} from '@slipway/plugin-slipway-node';

/** The config key naming the groups whose members administer Slipway. */
export const ADMIN_GROUPS_KEY = 'slipway.permission.adminGroups';
const DEFAULT_ADMIN_GROUPS = ['group:default/admins'];

/** Permissions only admins are granted. */
const ADMIN_ONLY = new Set([
  slipwayDeliveryReadPermission.name,
  slipwayDeliveryReprocessPermission.name,
  slipwayGithubOrgWebhookCreatePermission.name,
]);

const lower = (ref: string) => ref.toLocaleLowerCase('en-US');

/** The example policy; see the top of this file. */
export class SlipwayExamplePolicy implements PermissionPolicy {
  readonly #adminGroups: Set<string>;

  constructor(options: { adminGroups: string[] }) {
    this.#adminGroups = new Set(options.adminGroups.map(lower));
  }

  static fromConfig(config: Config): SlipwayExamplePolicy {
    return new SlipwayExamplePolicy({
      adminGroups:
        config.getOptionalStringArray(ADMIN_GROUPS_KEY) ?? DEFAULT_ADMIN_GROUPS,
    });
  }

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    if (!user) return { result: AuthorizeResult.ALLOW };
    const claims = user.info.ownershipEntityRefs ?? [];
    if (claims.some(ref => this.#adminGroups.has(lower(ref)))) {
      return { result: AuthorizeResult.ALLOW };
    }
    const { permission } = request;
    if (isResourcePermission(permission, SLIPWAY_APP_RESOURCE_TYPE)) {
      return createSlipwayAppConditionalDecision(
        permission,
        slipwayAppConditions.isAppEntityOwner({ claims }),
      );
    }
    if (ADMIN_ONLY.has(permission.name)) {
      return { result: AuthorizeResult.DENY };
    }
    return { result: AuthorizeResult.ALLOW };
  }
}

/**
 * Installs {@link SlipwayExamplePolicy} as the permission backend's policy.
 */
export const slipwayExamplePolicyModule = createBackendModule({
  pluginId: 'permission',
  moduleId: 'slipway-example-policy',
  register(env) {
    env.registerInit({
      deps: {
        policy: policyExtensionPoint,
        config: coreServices.rootConfig,
      },
      async init({ policy, config }) {
        policy.setPolicy(SlipwayExamplePolicy.fromConfig(config));
      },
    });
  },
});
