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

/** Whether the string is a `kind:[namespace/]name` entity ref. */
export function isEntityRef(ref: string): boolean {
  return /^[^:/\s]+:(?:[^:/\s]+\/)?[^:/\s]+$/.test(ref);
}

/**
 * The owners of an entity (its ownedBy relations and its spec.owner), or
 * undefined when the catalog does not know it (or it is no entity ref).
 */
async function ownersOf(
  catalog: CatalogService,
  auth: AuthService,
  entityRef: string,
): Promise<string[] | undefined> {
  if (!isEntityRef(entityRef)) return undefined;
  const entity = await catalog.getEntityByRef(entityRef, {
    credentials: await auth.getOwnServiceCredentials(),
  });
  if (!entity) return undefined;
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

/** An app as permission rules see it, and whether its entity is known. */
export interface BuiltAppResource {
  resource: SlipwayAppResource;
  /** False when the app names an entity the catalog does not know. */
  entityKnown: boolean;
}

/**
 * Builds the `slipway-app` resource of an app, stored or prospective
 * (`{ name, entityRef }`): the owners of its entity, looked up with the
 * plugin's own credentials. Only the entity the app is registered for
 * counts: an entity that merely names the app in an annotation makes nobody
 * an owner.
 */
export function createAppResourceBuilder(options: {
  catalog: CatalogService;
  auth: AuthService;
}) {
  const { catalog, auth } = options;
  return async (app: {
    name: string;
    entityRef?: string;
  }): Promise<BuiltAppResource> => {
    const owners = app.entityRef
      ? await ownersOf(catalog, auth, app.entityRef)
      : [];
    return {
      resource: {
        name: app.name,
        entityRef: app.entityRef,
        ownerRefs: owners ?? [],
      },
      entityKnown: owners !== undefined,
    };
  };
}

/**
 * `getResources` of the `slipway-app` resource type: loads apps by name and
 * builds their resources (see {@link createAppResourceBuilder}).
 */
export function createAppResourceLoader(options: {
  getApp: (name: string) => Promise<AppRecord | undefined>;
  catalog: CatalogService;
  auth: AuthService;
}) {
  const { getApp } = options;
  const build = createAppResourceBuilder(options);
  return async (names: string[]): Promise<(SlipwayAppResource | undefined)[]> =>
    Promise.all(
      names.map(async name => {
        const app = await getApp(name);
        if (!app) return undefined;
        return (await build(app)).resource;
      }),
    );
}
