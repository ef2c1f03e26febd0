import { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import type { Config } from '@backstage/config';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { repoSlug } from './repoSlug';

/** Names the GitHub repository of an entity. */
export const SLUG_ANNOTATION = 'github.com/project-slug';
/** Names the Slipway app that deploys an entity. */
export const APP_ANNOTATION = 'slipway.dev/app';

/** What the resolver needs to know of a deploy engine app. */
export interface AppLink {
  name: string;
  repoUrl: string;
  /** The entity the app was registered for, if it was given one. */
  entityRef?: string | null;
}

interface CatalogLinks {
  /** `owner/repo` → entity ref, from `github.com/project-slug`. */
  bySlug: Map<string, string>;
  /** app name → entity ref, from `slipway.dev/app`. */
  byApp: Map<string, string>;
  /** entity ref → `owner/repo`. */
  slugOf: Map<string, string>;
  /** entity ref → app name. */
  appOf: Map<string, string>;
}

/**
 * One cached lookup, read again once older than `ttlMs`. A read answers
 * `{ value, keep }`; a fallback answered after a failure is not kept, so
 * the next call asks again.
 */
class Cached<T> {
  #value: T | undefined;
  #readAt = 0;
  #reading: Promise<T> | undefined;

  constructor(
    private readonly ttlMs: number,
    private readonly read: (
      previous: T | undefined,
    ) => Promise<{ value: T; keep: boolean }>,
  ) {}

  async get(): Promise<T> {
    if (this.#value !== undefined && Date.now() - this.#readAt < this.ttlMs) {
      return this.#value;
    }
    this.#reading ??= this.read(this.#value)
      .then(({ value, keep }) => {
        if (keep) {
          this.#value = value;
          this.#readAt = Date.now();
        }
        return value;
      })
      .finally(() => {
        this.#reading = undefined;
      });
    return this.#reading;
  }
}

const lower = (ref: string) => ref.toLowerCase();

/**
 * Finds the catalog entity of a repository or of a deployed app: the entity
 * whose `github.com/project-slug` names the repository, or else the entity
 * of an app deployed from it (the app's own entityRef, or the entity whose
 * `slipway.dev/app` names the app).
 *
 * One catalog query loads every annotated entity; the maps are kept for at
 * most `ttlMs` (default one minute), so a catalog change is seen within
 * that time and a burst of deliveries costs no catalog calls. Apps come
 * from the deploy engine's table and are re-read every few seconds, so a
 * service created a moment ago is linked at once.
 */
export class EntityRefResolver {
  readonly #catalog: CatalogService;
  readonly #auth: AuthService;
  readonly #logger?: LoggerService;
  readonly #links: Cached<CatalogLinks>;
  /** Apps with the `owner/repo` of their URL, worked out once per read. */
  readonly #apps: Cached<Array<AppLink & { repo?: string }>>;

  constructor(options: {
    catalog: CatalogService;
    auth: AuthService;
    logger?: LoggerService;
    ttlMs?: number;
    /** The deploy engine's apps; without it only slugs are followed. */
    apps?: () => Promise<AppLink[]>;
    appsTtlMs?: number;
  }) {
    this.#catalog = options.catalog;
    this.#auth = options.auth;
    this.#logger = options.logger;
    this.#links = new Cached(options.ttlMs ?? 60_000, previous =>
      this.#loadLinks(previous),
    );
    const apps = options.apps;
    this.#apps = new Cached(options.appsTtlMs ?? 5_000, async previous => {
      if (!apps) return { value: [], keep: true };
      try {
        const value = (await apps()).map(app => ({
          ...app,
          repo: repoSlug(app.repoUrl)?.toLowerCase(),
        }));
        return { value, keep: true };
      } catch (error) {
        this.#logger?.warn(`Could not read Slipway apps: ${error}`);
        return { value: previous ?? [], keep: false };
      }
    });
  }

  /**
   * The resolver the plugin shares between the watch and the deploy engine,
   * its catalog cache as long as `slipway.events.entityCacheSeconds` (at
   * most, and by default, 60 s).
   */
  static fromConfig(
    config: Config,
    options: {
      catalog: CatalogService;
      auth: AuthService;
      logger?: LoggerService;
      apps?: () => Promise<AppLink[]>;
    },
  ): EntityRefResolver {
    const seconds = config.getOptionalNumber(
      'slipway.events.entityCacheSeconds',
    );
    return new EntityRefResolver({
      ...options,
      ttlMs: Math.min(60, seconds ?? 60) * 1000,
    });
  }

  /** The entity ref for `owner/repo`, or null when nothing links to it. */
  async forRepo(repo: string | null | undefined): Promise<string | null> {
    if (!repo) {
      return null;
    }
    const links = await this.#links.get();
    const bySlug = links.bySlug.get(repo.toLowerCase());
    if (bySlug) {
      return bySlug;
    }
    for (const app of await this.#apps.get()) {
      if (app.repo === repo.toLowerCase()) {
        const ref = app.entityRef
          ? lower(app.entityRef)
          : links.byApp.get(app.name);
        if (ref) return ref;
      }
    }
    return null;
  }

  /** The entity whose `slipway.dev/app` names the app, or null. */
  async forApp(app: string): Promise<string | null> {
    return (await this.#links.get()).byApp.get(app) ?? null;
  }

  /** The app an entity names with `slipway.dev/app`, or null. */
  async appForEntity(entityRef: string): Promise<string | null> {
    return (await this.#links.get()).appOf.get(lower(entityRef)) ?? null;
  }

  /** Every `owner/repo` the catalog names. */
  async repositories(): Promise<string[]> {
    return [...(await this.#links.get()).bySlug.keys()];
  }

  /** Every `owner/repo` a Slipway app deploys from (for the polling fallback). */
  async appRepositories(): Promise<string[]> {
    const repos = (await this.#apps.get()).flatMap(a =>
      a.repo ? [a.repo] : [],
    );
    return [...new Set(repos)];
  }

  /**
   * The repository of an entity: its `github.com/project-slug`, or else
   * the repository of the app it names or that was registered for it.
   */
  async repoForEntity(entityRef: string): Promise<string | null> {
    const ref = lower(entityRef);
    const links = await this.#links.get();
    const slug = links.slugOf.get(ref);
    if (slug) {
      return slug;
    }
    const appName = links.appOf.get(ref);
    for (const app of await this.#apps.get()) {
      const linked =
        app.name === appName || (app.entityRef && lower(app.entityRef) === ref);
      if (linked && app.repo) return app.repo;
    }
    return null;
  }

  async #loadLinks(
    previous: CatalogLinks | undefined,
  ): Promise<{ value: CatalogLinks; keep: boolean }> {
    try {
      const credentials = await this.#auth.getOwnServiceCredentials();
      const { items } = await this.#catalog.getEntities(
        {
          // Either annotation (an array of filters is an OR).
          filter: [SLUG_ANNOTATION, APP_ANNOTATION].map(a => ({
            [`metadata.annotations.${a}`]: CATALOG_FILTER_EXISTS,
          })),
          // Annotation keys contain dots, so the whole map is requested.
          fields: [
            'kind',
            'metadata.namespace',
            'metadata.name',
            'metadata.annotations',
          ],
        },
        { credentials },
      );
      const links: CatalogLinks = {
        bySlug: new Map(),
        byApp: new Map(),
        slugOf: new Map(),
        appOf: new Map(),
      };
      for (const entity of items) {
        const ref = lower(
          `${entity.kind}:${entity.metadata.namespace ?? 'default'}/${
            entity.metadata.name
          }`,
        );
        const slug = entity.metadata.annotations?.[SLUG_ANNOTATION];
        const app = entity.metadata.annotations?.[APP_ANNOTATION];
        // The first entity wins when several name the same repository or app.
        if (slug && !links.bySlug.has(slug.toLowerCase())) {
          links.bySlug.set(slug.toLowerCase(), ref);
        }
        if (slug) links.slugOf.set(ref, slug.toLowerCase());
        if (app && !links.byApp.has(app)) links.byApp.set(app, ref);
        if (app) links.appOf.set(ref, app);
      }
      return { value: links, keep: true };
    } catch (error) {
      this.#logger?.warn(
        `Could not read GitHub project slugs and Slipway apps from the catalog; events keep no entityRef until it answers: ${error}`,
      );
      // Ask again on the next call rather than keeping the failure.
      return {
        value: previous ?? {
          bySlug: new Map(),
          byApp: new Map(),
          slugOf: new Map(),
          appOf: new Map(),
        },
        keep: false,
      };
    }
  }
}
