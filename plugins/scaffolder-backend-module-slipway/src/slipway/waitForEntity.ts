import {
  AuthService,
  BackstageCredentials,
  DiscoveryService,
} from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>(resolve => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/**
 * Waits (at most `seconds`) until the catalog serves `entityRef` to the
 * user: a template that registers a component with `catalog:register` and
 * deploys it next runs before the catalog has processed the new location,
 * and Slipway refuses an app for an entity the catalog does not serve.
 * Returns whether the entity appeared; the caller goes on either way (the
 * deploy API then says what is wrong).
 */
export async function waitForEntity(
  options: {
    discovery: DiscoveryService;
    auth: AuthService;
    onBehalfOf: BackstageCredentials;
    signal?: AbortSignal;
  },
  entityRef: string,
  seconds: number,
  onWait: () => void,
): Promise<boolean> {
  const { kind, namespace, name } = parseEntityRef(entityRef);
  const path = [kind, namespace, name].map(encodeURIComponent).join('/');
  const baseUrl = await options.discovery.getBaseUrl('catalog');
  const deadline = Date.now() + seconds * 1000;
  for (let attempt = 0; ; attempt++) {
    const { token } = await options.auth.getPluginRequestToken({
      onBehalfOf: options.onBehalfOf,
      targetPluginId: 'catalog',
    });
    const response = await fetch(`${baseUrl}/entities/by-name/${path}`, {
      headers: { authorization: `Bearer ${token}` },
      signal: options.signal,
    });
    await response.body?.cancel();
    if (response.ok) return true;
    if (response.status !== 404 || Date.now() >= deadline) return false;
    if (options.signal?.aborted) return false;
    if (attempt === 0) onWait();
    await sleep(1000, options.signal);
  }
}
