import { stringifyEntityRef } from '@backstage/catalog-model';
import { MissingAnnotationEmptyState } from '@backstage/core-components';
import { useEntity } from '@backstage/plugin-catalog-react';
import { useMemo } from 'react';
import {
  GITHUB_SLUG_ANNOTATION,
  isSlipwayCicdAvailable,
  SLIPWAY_APP_ANNOTATION,
} from '../../lib/annotations';
import { LiveFeed } from '../LiveFeed';

/**
 * The "Live feed" entity tab: this entity's OASIS events, live.
 *
 * @public
 */
export function EntityLiveFeed(props: { pageSize?: number; height?: number }) {
  const { entity } = useEntity();
  const entityRef = stringifyEntityRef(entity);
  const scope = useMemo(() => ({ entityRef }), [entityRef]);
  if (!isSlipwayCicdAvailable(entity)) {
    return (
      <MissingAnnotationEmptyState
        annotation={[GITHUB_SLUG_ANNOTATION, SLIPWAY_APP_ANNOTATION]}
      />
    );
  }
  return (
    <LiveFeed
      scope={scope}
      pageSize={props.pageSize}
      height={props.height}
      title={`Live feed of ${entity.metadata.title ?? entity.metadata.name}`}
    />
  );
}
