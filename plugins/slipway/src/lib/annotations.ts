import { Entity } from '@backstage/catalog-model';

/** The GitHub repository (`owner/name`) of an entity. */
export const GITHUB_SLUG_ANNOTATION = 'github.com/project-slug';
/** The Slipway app that deploys an entity. */
export const SLIPWAY_APP_ANNOTATION = 'slipway.dev/app';

/**
 * True when the entity names a GitHub repository or a Slipway app, i.e. the
 * CI/CD status card and the live feed have something to show.
 *
 * @public
 */
export function isSlipwayCicdAvailable(entity: Entity): boolean {
  const annotations = entity.metadata.annotations ?? {};
  return Boolean(
    annotations[GITHUB_SLUG_ANNOTATION] || annotations[SLIPWAY_APP_ANNOTATION],
  );
}

/**
 * True when the entity is deployed by a Slipway app (`slipway.dev/app`).
 *
 * @public
 */
export function isSlipwayAppAvailable(entity: Entity): boolean {
  return Boolean(entity.metadata.annotations?.[SLIPWAY_APP_ANNOTATION]);
}
