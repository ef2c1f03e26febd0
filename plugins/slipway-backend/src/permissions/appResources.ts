import type { AuthService } from '@backstage/backend-plugin-api';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import type { AppRecord } from '../deploy/store/records';
import type { SlipwayAppResource } from '@slipway/plugin-slipway-node';

/** Turns a possibly short owner ("team-a", "user:bob") into a full ref. */
function fullOwnerRef(owner: string, namespace: string): string {
  const [kind, rest] = owner.includes(':')
    ? [owner.slice(0, owner.indexOf(':')), owner.slice(owner.indexOf(':') + 1)]
    : ['group', owner];
  const ref = rest.includes('/') ? rest : `${namespace}/${rest}`;
  return `${kind}:${ref}`.toLocaleLowerCase('en-US');
}

/** The owners of an entity: its ownedBy relations and its spec.owner. */
async function ownersOf(
  catalog: CatalogService,
  auth: AuthService,
  entityRef: string,
): Promise<string[]> {
  const entity = await catalog.getEntityByRef(entityRef, {
    credentials: await auth.getOwnServiceCredentials(),
  });
  if (!entity) return [];
  const owners = new Set(
    (entity.relations ?? [])
      .filter(relation => relation.type === 'ownedBy')
      .map(relation => relation.targetRef.toLocaleLowerCase('en-US')),
  );
  const specOwner = entity.spec?.owner;
  if (typeof specOwner === 'string' && specOwner) {
    owners.add(fullOwnerRef(specOwner, entity.metadata.namespace ?? 'default'));
  }
  return [...owners];
}

/**
 * `getResources` of the `slipway-app` resource type: loads apps by name and
 * the owners of their registered entity (`entityRef`), looked up with the
 * plugin's own credentials. Only the entity the app was registered for
 * counts: an entity that merely names the app in an annotation makes
 * nobody an owner.
 */
export function createAppResourceLoader(options: {
  getApp: (name: string) => Promise<AppRecord | undefined>;
  catalog: CatalogService;
  auth: AuthService;
}) {
  const { getApp, catalog, auth } = options;
  return async (names: string[]): Promise<(SlipwayAppResource | undefined)[]> =>
    Promise.all(
      names.map(async name => {
        const app = await getApp(name);
        if (!app) return undefined;
        return {
          name: app.name,
          entityRef: app.entityRef,
          ownerRefs: app.entityRef
            ? await ownersOf(catalog, auth, app.entityRef)
            : [],
        };
      }),
    );
}
