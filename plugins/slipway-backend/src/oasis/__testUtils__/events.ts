import type { OasisEventInput } from '@slipway/plugin-slipway-common';

/** A valid event to publish in tests, with `extra` fields on top. */
export function testEvent(
  title: string,
  extra: Partial<OasisEventInput> = {},
): OasisEventInput {
  return {
    module: 'DEPLOY',
    source: 'slipway.deploy',
    kind: 'deployment',
    status: 'info',
    title,
    meta: {},
    ...extra,
  };
}

/** Resolves once `check` holds; rejects after `timeoutMs`. */
export async function waitUntil(
  check: () => boolean,
  timeoutMs = 10_000,
): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) {
      throw new Error(`timed out after ${timeoutMs} ms`);
    }
    await new Promise(r => setTimeout(r, 10));
  }
}
