import type {
  AuthService,
  BackstageCredentials,
  PermissionsRegistryService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { InputError, NotAllowedError } from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { createConditionAuthorizer } from '@backstage/plugin-permission-node';
import {
  SLIPWAY_APP_RESOURCE_TYPE,
  slipwayAppUpdatePermission,
} from '@slipway/plugin-slipway-common';
import { slipwayAppPermissionResourceRef } from '@slipway/plugin-slipway-node';
import { createAppResourceBuilder, isEntityRef } from './appResources';

/**
 * Checks that a caller may name a catalog entity as an app's `entityRef`.
 */
export interface EntityClaimCheck {
  /**
   * Resolves when the caller may register the app `{ name, entityRef }`
   * (new, or an existing app given a new entity); throws NotAllowedError
   * (403) when they may not, and InputError (400) when the catalog knows no
   * such entity, or the caller may not read it (the same answer, so a
   * refusal never tells whether a hidden entity exists).
   */
  assertMayClaim(options: {
    credentials: BackstageCredentials;
    app: { name: string; entityRef: string };
    /** Whether the caller may read the entity (catalog.entity.read). */
    canReadEntity: (entityRef: string) => Promise<boolean>;
  }): Promise<void>;
}

/**
 * An app's entity makes its owners the app's owners (`IS_APP_ENTITY_OWNER`)
 * and the entity's page shows the app's deployments and its repository's
 * events. So naming an entity is claiming it: the caller must be one who
 * could change an app of that entity. The permission framework decides
 * `slipway.app.update` for the caller; a conditional decision is applied
 * here to the prospective app (its name, the new entityRef and that
 * entity's owners), with the rules registered for the `slipway-app`
 * resource type.
 */
export function createEntityClaimCheck(options: {
  permissions: PermissionsService;
  registry: PermissionsRegistryService;
  catalog: CatalogService;
  auth: AuthService;
}): EntityClaimCheck {
  const { permissions, registry } = options;
  const build = createAppResourceBuilder(options);
  return {
    async assertMayClaim({ credentials, app, canReadEntity }) {
      const { entityRef } = app;
      if (!isEntityRef(entityRef)) {
        throw new InputError(
          `entityRef "${entityRef.slice(
            0,
            200,
          )}" is not an entity ref; use kind:namespace/name, e.g. component:default/my-service.`,
        );
      }
      const refused = () =>
        new NotAllowedError(
          `You may not register an app for ${entityRef}: naming an entity needs the permission ${slipwayAppUpdatePermission.name} on apps of that entity (usually: owning the entity in the catalog); ask its owners or an administrator.`,
        );
      const [decision] = await permissions.authorizeConditional(
        [{ permission: slipwayAppUpdatePermission }],
        { credentials },
      );
      if (decision.result === AuthorizeResult.DENY) throw refused();

      const { resource, entityKnown } = await build(app);
      if (!entityKnown || !(await canReadEntity(entityRef))) {
        throw new InputError(
          `The catalog has no entity ${entityRef} (or you may not read it); entityRef must name a catalog entity, e.g. component:default/my-service.`,
        );
      }
      if (decision.result !== AuthorizeResult.CONDITIONAL) return;
      if (decision.resourceType !== SLIPWAY_APP_RESOURCE_TYPE) throw refused();
      const authorize = createConditionAuthorizer(
        registry.getPermissionRuleset(slipwayAppPermissionResourceRef),
      );
      if (!authorize(decision, resource)) throw refused();
    },
  };
}
