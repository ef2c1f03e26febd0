import {
  AuthService,
  BackstageCredentials,
  DiscoveryService,
} from '@backstage/backend-plugin-api';
import { ResponseError } from '@backstage/errors';

/**
 * Calls the Slipway backend (`/api/slipway`), found through discovery, with
 * a token on behalf of `onBehalfOf`: the user who runs the template
 * (`ctx.getInitiatorCredentials()`) for anything that changes an app, so
 * Slipway's permissions decide for that user, not for the scaffolder.
 */
export async function slipwayFetch(
  options: {
    discovery: DiscoveryService;
    auth: AuthService;
    onBehalfOf: BackstageCredentials;
    signal?: AbortSignal;
  },
  path: string,
  init: { method?: string; body?: unknown } = {},
): Promise<Response> {
  const { discovery, auth, signal, onBehalfOf } = options;
  const baseUrl = await discovery.getBaseUrl('slipway');
  const { token } = await auth.getPluginRequestToken({
    onBehalfOf,
    targetPluginId: 'slipway',
  });
  return fetch(`${baseUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${token}`,
      ...(init.body !== undefined
        ? { 'content-type': 'application/json' }
        : {}),
    },
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
    signal,
  });
}

/** The JSON body of a successful response; a ResponseError otherwise. */
export async function slipwayJson<T>(response: Response): Promise<T> {
  if (!response.ok) {
    throw await ResponseError.fromResponse(response as any);
  }
  return (await response.json()) as T;
}
