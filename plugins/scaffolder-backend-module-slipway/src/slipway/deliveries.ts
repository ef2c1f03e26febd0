import { AuthService, DiscoveryService } from '@backstage/backend-plugin-api';
import { ServiceUnavailableError } from '@backstage/errors';
import { callSlipway, slipwayJson } from './backendClient';

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });

/**
 * Triggers a ping of the hook and waits until the Slipway backend lists a
 * new `ping` delivery of that hook (`GET /deliveries`): the proof that
 * GitHub reaches this Backstage and the secrets match. Pings recorded before
 * the trigger (e.g. the one GitHub sends on creation) do not count.
 */
export async function waitForPingDelivery(options: {
  discovery: DiscoveryService;
  auth: AuthService;
  hookId: number;
  timeoutMs: number;
  webhookUrl: string;
  signal?: AbortSignal;
  triggerPing: () => Promise<void>;
  describeHook: () => Promise<string | undefined>;
}): Promise<void> {
  const { hookId, timeoutMs, signal } = options;
  const listPings = async () => {
    // The scaffolder's own credentials: this only learns whether a ping of
    // the hook it just registered arrived (nothing of the payloads reaches
    // the user), and raw deliveries are for admins (slipway.delivery.read).
    const response = await callSlipway(
      {
        ...options,
        onBehalfOf: await options.auth.getOwnServiceCredentials(),
      },
      (api, requestOptions) =>
        api.listDeliveries({ query: { limit: 100 } }, requestOptions),
    );
    if (response.status === 404) {
      throw new ServiceUnavailableError(
        'Cannot verify the webhook: the Slipway backend has no /deliveries endpoint. Install @slipway/plugin-slipway-backend (or turn verify off).',
      );
    }
    const page = await slipwayJson(response);
    return page.items.filter(
      item => item.event === 'ping' && String(item.hookId) === String(hookId),
    );
  };

  const seen = new Set((await listPings()).map(item => item.id));
  await options.triggerPing();
  const deadline = Date.now() + timeoutMs;
  // Bounded: one poll every 500 ms until the deadline.
  while (Date.now() < deadline) {
    if ((await listPings()).some(item => !seen.has(item.id))) {
      return;
    }
    await sleep(Math.min(500, Math.max(0, deadline - Date.now())), signal);
  }
  const hookState = await options.describeHook();
  throw new ServiceUnavailableError(
    `The ping of webhook ${hookId} did not reach Slipway within ${Math.round(
      timeoutMs / 1000,
    )} s. Check that GitHub can reach ${
      options.webhookUrl
    } and that the hook secret equals one of slipway.github.webhookSecrets${
      hookState ? `; ${hookState}` : ''
    }.`,
  );
}
