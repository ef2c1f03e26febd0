import {
  createConditionExports,
  createPermissionResourceRef,
  createPermissionRule,
} from '@backstage/plugin-permission-node';
import { SLIPWAY_APP_RESOURCE_TYPE } from '@slipway/plugin-slipway-common';
import { z } from 'zod';

/**
 * A Slipway app as permission rules see it: its name, the catalog entity it
 * was registered for (`entityRef`), and that entity's owners as the catalog
 * reports them (empty when the app names no entity or the catalog does not
 * know it).
 *
 * @public
 */
export interface SlipwayAppResource {
  name: string;
  entityRef?: string;
  ownerRefs: string[];
}

/**
 * Query form of the app rules (the deploy engine filters no lists with it
 * yet; conditions are applied to loaded apps).
 *
 * @public
 */
export type SlipwayAppQuery = {
  property: 'name' | 'owner';
  values: string[];
};

/**
 * The `slipway-app` resource type of the Slipway backend.
 *
 * @public
 */
export const slipwayAppPermissionResourceRef = createPermissionResourceRef<
  SlipwayAppResource,
  SlipwayAppQuery
>().with({
  pluginId: 'slipway',
  resourceType: SLIPWAY_APP_RESOURCE_TYPE,
});

const lower = (values: string[]) =>
  values.map(v => v.toLocaleLowerCase('en-US'));

/**
 * `IS_APP_ENTITY_OWNER`: the app's catalog entity is owned by one of the
 * claims (typically the user's ownership entity refs), as the catalog's
 * `IS_ENTITY_OWNER` decides for entities.
 *
 * @public
 */
export const isAppEntityOwner = createPermissionRule({
  name: 'IS_APP_ENTITY_OWNER',
  description:
    "Allow apps whose catalog entity (the app's entityRef) is owned by one of the given claims",
  resourceRef: slipwayAppPermissionResourceRef,
  paramsSchema: z.object({
    claims: z
      .array(z.string())
      .describe(
        'Ownership entity refs, e.g. user:default/alice or group:default/team-a',
      ),
  }),
  apply: (app, { claims }) => {
    const wanted = new Set(lower(claims));
    return lower(app.ownerRefs).some(owner => wanted.has(owner));
  },
  toQuery: ({ claims }) => ({ property: 'owner', values: claims }),
});

/**
 * `HAS_APP_NAME`: the app's name is one of the given names.
 *
 * @public
 */
export const hasAppName = createPermissionRule({
  name: 'HAS_APP_NAME',
  description: 'Allow apps with one of the given names',
  resourceRef: slipwayAppPermissionResourceRef,
  paramsSchema: z.object({
    names: z.array(z.string()).describe('App names'),
  }),
  apply: (app, { names }) => names.includes(app.name),
  toQuery: ({ names }) => ({ property: 'name', values: names }),
});

/**
 * Every rule of the `slipway-app` resource type.
 *
 * @public
 */
export const slipwayAppPermissionRules = { isAppEntityOwner, hasAppName };

const exported = createConditionExports({
  resourceRef: slipwayAppPermissionResourceRef,
  rules: slipwayAppPermissionRules,
});

/**
 * Conditions for policies, e.g.
 * `slipwayAppConditions.isAppEntityOwner({ claims: user.info.ownershipEntityRefs })`.
 *
 * @public
 */
export const slipwayAppConditions = exported.conditions;

/**
 * A conditional decision on a `slipway-app` permission, e.g.
 * `createSlipwayAppConditionalDecision(permission, slipwayAppConditions.hasAppName({ names: ['web'] }))`.
 *
 * @public
 */
export const createSlipwayAppConditionalDecision =
  exported.createConditionalDecision;
