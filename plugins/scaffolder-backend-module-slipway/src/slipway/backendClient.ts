import {
  AuthService,
  BackstageCredentials,
  DiscoveryService,
} from '@backstage/backend-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  DefaultApiClient,
  type RequestOptions,
  type TypedResponse,
} from '@slipway/plugin-slipway-common/generated';

/** Who calls the Slipway backend, and how. */
export interface SlipwayCall {
  discovery: DiscoveryService;
  auth: AuthService;
  onBehalfOf: BackstageCredentials;
  signal?: AbortSignal;
}

/**
 * Calls the Slipway backend (`/api/slipway`, found through discovery)
 * through the client generated from its OpenAPI spec, with a token on
 * behalf of `onBehalfOf`: the user who runs the template
 * (`ctx.getInitiatorCredentials()`) for anything that changes an app, so
 * Slipway's permissions decide for that user, not for the scaffolder. A
 * token is asked for per call (the auth service caches it), so a long wait
 * never outlives one.
 */
export async function callSlipway<T>(
  call: SlipwayCall,
  send: (
    api: DefaultApiClient,
    options: RequestOptions,
  ) => Promise<TypedResponse<T>>,
): Promise<TypedResponse<T>> {
  const { token } = await call.auth.getPluginRequestToken({
    onBehalfOf: call.onBehalfOf,
    targetPluginId: 'slipway',
  });
  return send(new DefaultApiClient({ discoveryApi: call.discovery }), {
    token,
    signal: call.signal,
  });
}

/** The JSON body of a successful response; a ResponseError otherwise. */
export async function slipwayJson<T>(response: TypedResponse<T>): Promise<T> {
  if (!response.ok) {
    throw await ResponseError.fromResponse(response);
  }
  return response.json();
}
