import { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import type { CatalogService } from '@backstage/plugin-catalog-node';

const SLUG_ANNOTATION = 'github.com/project-slug';

/**
 * Finds the catalog entity whose `github.com/project-slug` names a
 * repository. One catalog query loads every annotated entity; the map is
 * kept for at most `ttlMs` (default one minute), so a catalog change is
 * seen within that time and a burst of deliveries costs no catalog calls.
 */
export class EntityRefResolver {
  readonly #catalog: CatalogService;
  readonly #auth: AuthService;
  readonly #logger?: LoggerService;
  readonly #ttlMs: number;
  #map: Map<string, string> | undefined;
  #loadedAt = 0;
  #loading: Promise<Map<string, string>> | undefined;

  constructor(options: {
    catalog: CatalogService;
    auth: AuthService;
    logger?: LoggerService;
    ttlMs?: number;
  }) {
    this.#catalog = options.catalog;
    this.#auth = options.auth;
    this.#logger = options.logger;
    this.#ttlMs = options.ttlMs ?? 60_000;
  }

  /** The entity ref for `owner/repo`, or null when no entity names it. */
  async forRepo(repo: string | null | undefined): Promise<string | null> {
    if (!repo) {
      return null;
    }
    const map = await this.#current();
    return map.get(repo.toLowerCase()) ?? null;
  }

  /** Every `owner/repo` the catalog knows (for the polling fallback). */
  async repositories(): Promise<string[]> {
    return [...(await this.#current()).keys()];
  }

  /** The repository an entity names, or null. */
  async repoForEntity(entityRef: string): Promise<string | null> {
    const map = await this.#current();
    for (const [repo, ref] of map) {
      if (ref === entityRef.toLowerCase()) {
        return repo;
      }
    }
    return null;
  }

  async #current(): Promise<Map<string, string>> {
    if (this.#map && Date.now() - this.#loadedAt < this.#ttlMs) {
      return this.#map;
    }
    this.#loading ??= this.#load().finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  async #load(): Promise<Map<string, string>> {
    try {
      const credentials = await this.#auth.getOwnServiceCredentials();
      const { items } = await this.#catalog.getEntities(
        {
          filter: {
            [`metadata.annotations.${SLUG_ANNOTATION}`]: CATALOG_FILTER_EXISTS,
          },
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
      const map = new Map<string, string>();
      for (const entity of items) {
        const slug = entity.metadata.annotations?.[SLUG_ANNOTATION];
        if (!slug) {
          continue;
        }
        const ref = `${entity.kind}:${entity.metadata.namespace ?? 'default'}/${
          entity.metadata.name
        }`.toLowerCase();
        // The first entity wins when several name the same repository.
        if (!map.has(slug.toLowerCase())) {
          map.set(slug.toLowerCase(), ref);
        }
      }
      this.#map = map;
      this.#loadedAt = Date.now();
      return map;
    } catch (error) {
      this.#logger?.warn(
        `Could not read GitHub project slugs from the catalog; events keep no entityRef until it answers: ${error}`,
      );
      // Retry on the next call rather than caching the failure.
      return this.#map ?? new Map();
    }
  }
}
