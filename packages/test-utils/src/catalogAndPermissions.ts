/*
 * A real catalog and a real permission backend for tests that must show who
 * may do what: the catalog backend serves the given entities (with its own
 * permission checks on every read), and the permission backend asks the
 * given policy, applying conditional decisions through the owning plugin's
 * apply-conditions endpoint, exactly as in a deployed Backstage.
 */
import {
  BackendFeature,
  coreServices,
  createBackendModule,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import permissionPlugin from '@backstage/plugin-permission-backend';
import type { PermissionPolicy } from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';

/**
 * The mock auth service of `@backstage/backend-test-utils`, except that a
 * token a plugin requests on behalf of a user names that plugin as the
 * actor, as Backstage's own auth service does. Without the actor the
 * permission backend takes the catalog's conditional read checks for direct
 * user requests and refuses them.
 */
const authWithActors = createServiceFactory({
  service: coreServices.auth,
  deps: { plugin: coreServices.pluginMetadata },
  factory({ plugin }) {
    const inner = mockServices.auth({ pluginId: plugin.getId() });
    return Object.assign(Object.create(inner), {
      async getPluginRequestToken(
        options: Parameters<typeof inner.getPluginRequestToken>[0],
      ) {
        const principal = options.onBehalfOf.principal as {
          type: string;
          userEntityRef?: string;
        };
        if (principal.type === 'user' && principal.userEntityRef) {
          return {
            token: mockCredentials.user.token(principal.userEntityRef, {
              actor: { subject: `plugin:${plugin.getId()}` },
            }),
          };
        }
        return inner.getPluginRequestToken(options);
      },
    }) as typeof inner;
  },
});

/** Defaults for entities: location annotations the catalog requires. */
function withLocation(entity: Entity): Entity {
  const location = `url:https://example.com/${entity.kind}/${entity.metadata.name}`;
  return {
    ...entity,
    metadata: {
      namespace: 'default',
      ...entity.metadata,
      annotations: {
        'backstage.io/managed-by-location': location,
        'backstage.io/managed-by-origin-location': location,
        ...entity.metadata.annotations,
      },
    },
  };
}

/** A Component owned by `owner` (e.g. `user:default/alice`). */
export function componentEntity(
  name: string,
  owner: string,
  annotations: Record<string, string> = {},
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default', annotations },
    spec: { type: 'service', owner, lifecycle: 'experimental' },
  };
}

/**
 * Features for `startTestBackend`: the catalog backend with `entities`, the
 * permission backend with `policy`, and an auth service that passes the
 * calling plugin on as the actor. Use them instead of `catalogServiceMock`;
 * add `permission.enabled: true` to the config (see {@link permissionConfig}).
 */
export function catalogAndPermissions(options: {
  entities: Entity[];
  policy: PermissionPolicy;
}): BackendFeature[] {
  const entities = options.entities.map(withLocation);
  const provider = createBackendModule({
    pluginId: 'catalog',
    moduleId: 'slipway-test-entities',
    register(env) {
      env.registerInit({
        deps: { catalog: catalogProcessingExtensionPoint },
        async init({ catalog }) {
          catalog.addEntityProvider({
            getProviderName: () => 'slipway-test-entities',
            connect: async connection => {
              await connection.applyMutation({
                type: 'full',
                entities: entities.map(entity => ({
                  entity,
                  locationKey: 'slipway-test-entities',
                })),
              });
            },
          });
        },
      });
    },
  });
  const policy = createBackendModule({
    pluginId: 'permission',
    moduleId: 'slipway-test-policy',
    register(env) {
      env.registerInit({
        deps: { policies: policyExtensionPoint },
        async init({ policies }) {
          policies.setPolicy(options.policy);
        },
      });
    },
  });
  return [catalogPlugin, provider, permissionPlugin, policy, authWithActors];
}

/** Config that turns the permission framework on, with fast catalog processing. */
export const permissionConfig = {
  permission: { enabled: true },
  catalog: { processingInterval: { seconds: 1 } },
};

/**
 * Waits until the catalog serves every entity given (processing is
 * asynchronous); bounded by `timeoutMs`.
 */
export async function waitForEntities(
  baseUrl: string,
  entityRefs: string[],
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(entityRefs);
  while (pending.size > 0) {
    for (const ref of [...pending]) {
      const [kind, rest] = ref.split(':');
      const [namespace, name] = rest.split('/');
      const response = await fetch(
        `${baseUrl}/api/catalog/entities/by-name/${kind}/${namespace}/${name}`,
        { headers: { authorization: mockCredentials.service.header() } },
      );
      if (response.ok) pending.delete(ref);
      await response.arrayBuffer();
    }
    if (pending.size === 0) return;
    if (Date.now() > deadline) {
      throw new Error(
        `The catalog did not serve ${[...pending].join(
          ', ',
        )} within ${timeoutMs} ms`,
      );
    }
    await new Promise(resolve => setTimeout(resolve, 100));
  }
}
