import {
  createApiRef,
  DiscoveryApi,
  FetchApi,
} from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import type { SlipwayHealth } from '@slipway/plugin-slipway-common';

/**
 * Browser-side access to the Slipway backend.
 *
 * @public
 */
export interface SlipwayApi {
  getHealth(): Promise<SlipwayHealth>;
}

/**
 * API ref for {@link SlipwayApi}.
 *
 * @public
 */
export const slipwayApiRef = createApiRef<SlipwayApi>({
  id: 'plugin.slipway.service',
});

/**
 * Default {@link SlipwayApi}: calls `/api/slipway` through `fetchApi`, so the
 * signed-in user's credentials apply.
 *
 * @public
 */
export class SlipwayClient implements SlipwayApi {
  constructor(
    private readonly options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi },
  ) {}

  async getHealth(): Promise<SlipwayHealth> {
    const baseUrl = await this.options.discoveryApi.getBaseUrl('slipway');
    const response = await this.options.fetchApi.fetch(`${baseUrl}/health`);
    // 503 still carries the report (database down); show it rather than fail.
    if (!response.ok && response.status !== 503) {
      throw await ResponseError.fromResponse(response);
    }
    return (await response.json()) as SlipwayHealth;
  }
}
