import {
  createApiRef,
  DiscoveryApi,
  FetchApi,
} from '@backstage/core-plugin-api';
import {
  SlipwayHttpClient,
  type SlipwayApi,
} from '@slipway/plugin-slipway-common';

export type { SlipwayApi };

/**
 * API ref for {@link @slipway/plugin-slipway-common#SlipwayApi}.
 *
 * @public
 */
export const slipwayApiRef = createApiRef<SlipwayApi>({
  id: 'plugin.slipway.service',
});

/**
 * Default {@link @slipway/plugin-slipway-common#SlipwayApi} for the browser:
 * calls `/api/slipway` through `fetchApi`, so the signed-in user's
 * credentials apply to requests and to the live streams alike.
 *
 * @public
 */
export class SlipwayClient extends SlipwayHttpClient {
  constructor(options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    super({
      discoveryApi: options.discoveryApi,
      fetchApi: { fetch: (input, init) => options.fetchApi.fetch(input, init) },
    });
  }
}
