import {
  BackstageCredentials,
  BackstageUserPrincipal,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { slipwayDeliveryReadPermission } from '@slipway/plugin-slipway-common';
import { TtlCache } from './TtlCache';

/** Effective `slipway.access` settings. */
export interface AccessSettings {
  /** How long one user's answer for one entity is reused. */
  cacheTtlSeconds: number;
  /** Answers kept in all (users × entities); the oldest go first. */
  cacheMaxEntries: number;
}

/** Reads `slipway.access` (defaults: 30 seconds, 10000 answers). */
export function readAccessSettings(config: Config): AccessSettings {
  const c = config.getOptionalConfig('slipway.access');
  const ttl = c?.getOptionalNumber('cacheTtlSeconds') ?? 30;
  return {
    cacheTtlSeconds: Math.min(300, Math.max(0, ttl)),
    cacheMaxEntries: Math.max(
      1,
      c?.getOptionalNumber('cacheMaxEntries') ?? 10_000,
    ),
  };
}

/** Sources only Slipway writes: signed GitHub deliveries and the poller. */
const GITHUB_SOURCE = /^github\./i;
/** Refs per catalog request when a page names many entities. */
const BATCH = 200;

/** What an item needs to say for a read check. */
export interface Readable {
  entityRef?: string | null;
  source?: string;
}

/**
 * What one caller may read. Users see an item of an entity only when the
 * catalog serves them that entity (`catalog.entity.read`, asked with their
 * own credentials). Services (other plugins) see everything.
 */
export interface ReadScope {
  /** `user:<ref>` or `service:<subject>`, e.g. for per-caller limits. */
  readonly principal: string;
  /** True for services: they read everything, orphans included. */
  readonly unrestricted: boolean;
  /** Whether the caller may read what belongs to `entityRef`. */
  canReadEntity(entityRef: string | null | undefined): Promise<boolean>;
  /**
   * An event of an entity follows that entity. An event without one is
   * public to signed-in callers, except a GitHub event (a repository no
   * entity names, perhaps a private one an organization hook delivers):
   * that needs `slipway.delivery.read`, which shows the raw delivery anyway.
   */
  canReadEvent(event: Readable): Promise<boolean>;
  /** The items the caller may read, in their order. */
  filter<T extends Readable>(items: T[]): Promise<T[]>;
}

/**
 * The canonical lower-case `kind:namespace/name` (namespace `default` when
 * left out), or undefined when it is no entity ref.
 */
function normalize(entityRef: string): string | undefined {
  const ref = entityRef.trim().toLowerCase();
  const full = /^[^:/\s]+:[^:/\s]+$/.test(ref)
    ? ref.replace(':', ':default/')
    : ref;
  return /^[^:/\s]+:[^:/\s]+\/[^:/\s]+$/.test(full) ? full : undefined;
}

const everything: Omit<ReadScope, 'principal'> = {
  unrestricted: true,
  canReadEntity: async () => true,
  canReadEvent: async () => true,
  filter: async items => items,
};

/**
 * Catalog-read checks for Slipway's reads, cached per (user, entity) for
 * `cacheTtlSeconds`: a user whose access is revoked stops seeing the
 * entity's items within that time, streams included (each event is
 * checked through the same cache).
 */
export class EntityReadAccess {
  readonly #catalog: CatalogService;
  readonly #permissions: PermissionsService;
  readonly #cache: TtlCache<boolean>;

  constructor(options: {
    catalog: CatalogService;
    permissions: PermissionsService;
    settings: AccessSettings;
  }) {
    this.#catalog = options.catalog;
    this.#permissions = options.permissions;
    this.#cache = new TtlCache({
      ttlMs: options.settings.cacheTtlSeconds * 1000,
      maxEntries: options.settings.cacheMaxEntries,
    });
  }

  /** The read scope of a caller (a user or a service). */
  scope(credentials: BackstageCredentials): ReadScope {
    const principal = credentials.principal as {
      type: string;
      userEntityRef?: string;
      subject?: string;
    };
    if (principal.type !== 'user' || !principal.userEntityRef) {
      return {
        principal: `service:${principal.subject ?? '?'}`,
        ...everything,
      };
    }
    const user = credentials as BackstageCredentials<BackstageUserPrincipal>;
    const canReadEntity = async (ref: string | null | undefined) =>
      ref ? (await this.#check(user, [ref]))[0] : true;
    const canReadEvent = async (event: Readable) => {
      if (event.entityRef) return canReadEntity(event.entityRef);
      return GITHUB_SOURCE.test(event.source ?? '')
        ? this.#deliveryRead(user)
        : true;
    };
    return {
      principal: `user:${principal.userEntityRef.toLowerCase()}`,
      unrestricted: false,
      canReadEntity,
      canReadEvent,
      filter: async items => {
        // One catalog request for every entity of the page not cached yet.
        const refs = items.flatMap(i => (i.entityRef ? [i.entityRef] : []));
        await this.#check(user, refs);
        const allowed = await Promise.all(items.map(canReadEvent));
        return items.filter((_, i) => allowed[i]);
      },
    };
  }

  /** Whether the user may read each ref (a ref that is no entity: no). */
  async #check(
    user: BackstageCredentials<BackstageUserPrincipal>,
    refs: string[],
  ): Promise<boolean[]> {
    const who = user.principal.userEntityRef.toLowerCase();
    const keyOf = (ref: string) => `${who}\u0000${ref}`;
    const answers = new Map<string, Promise<boolean>>();
    const missing: string[] = [];
    for (const ref of new Set(refs.map(r => normalize(r) ?? ''))) {
      const cached = ref ? this.#cache.get(keyOf(ref)) : Promise.resolve(false);
      if (cached) answers.set(ref, cached);
      else missing.push(ref);
    }
    for (let i = 0; i < missing.length; i += BATCH) {
      const chunk = missing.slice(i, i + BATCH);
      const served = this.#catalog
        .getEntitiesByRefs(
          { entityRefs: chunk, fields: ['kind', 'metadata.name'] },
          { credentials: user },
        )
        .then(response => response.items.map(item => Boolean(item)));
      chunk.forEach((ref, j) =>
        answers.set(
          ref,
          this.#cache.set(
            keyOf(ref),
            served.then(items => items[j]),
          ),
        ),
      );
    }
    return Promise.all(refs.map(r => answers.get(normalize(r) ?? '')!));
  }

  #deliveryRead(user: BackstageCredentials<BackstageUserPrincipal>) {
    const key = `${user.principal.userEntityRef.toLowerCase()}\u0000#${
      slipwayDeliveryReadPermission.name
    }`;
    return this.#cache.getOrLoad(key, async () => {
      const [decision] = await this.#permissions.authorize(
        [{ permission: slipwayDeliveryReadPermission }],
        { credentials: user },
      );
      return decision.result === AuthorizeResult.ALLOW;
    });
  }
}
