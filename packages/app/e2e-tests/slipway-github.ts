/*
 * Helpers of the Slipway e2e tests: real GitHub example payloads (from
 * @octokit/webhooks-examples), signed like GitHub signs them, and a guest
 * token for the authenticated Slipway API.
 */
import { APIRequestContext, expect } from '@playwright/test';
import { createHmac, randomBytes, randomInt, randomUUID } from 'node:crypto';
import examples from '@octokit/webhooks-examples/api.github.com/index.json';

export const backend =
  process.env.SLIPWAY_BACKEND_URL ?? 'http://localhost:7007';

export const webhookSecret =
  process.env.SLIPWAY_WEBHOOK_SECRET ?? 'slipway-e2e-webhook-secret';

type Payload = Record<string, any>;

/** A deep copy of GitHub's own example payload of an event and action. */
export function examplePayload(event: string, action?: string): Payload {
  const entry = (examples as Array<{ name: string; examples: Payload[] }>).find(
    e => e.name === event,
  );
  const example = entry?.examples.find(p => !action || p.action === action);
  if (!example) throw new Error(`No example payload for ${event} ${action}`);
  return JSON.parse(JSON.stringify(example));
}

/** Points an example payload at one of our repositories. */
export function forRepository(payload: Payload, slug: string): Payload {
  const [owner, name] = slug.split('/');
  payload.repository = {
    ...payload.repository,
    name,
    full_name: slug,
    html_url: `https://github.com/${slug}`,
    default_branch: 'main',
    owner: { ...payload.repository?.owner, login: owner },
  };
  return payload;
}

/** A 4-digit number, so VTIDs and run numbers differ between runs. */
export const unique = () => randomInt(1000, 9999);

/**
 * An example push of a fresh commit: the same ref, before and after again
 * would be the same push, which Slipway stores once.
 */
export function pushOf(slug: string, ref: string, message: string): Payload {
  const push = forRepository(examplePayload('push'), slug);
  push.ref = ref;
  push.after = randomBytes(20).toString('hex');
  push.head_commit = { ...push.head_commit, id: push.after, message };
  push.commits = [push.head_commit];
  return push;
}

/** Sends a delivery signed with the configured secret, as GitHub does. */
export async function deliver(
  request: APIRequestContext,
  event: string,
  payload: Payload,
) {
  const body = JSON.stringify(payload);
  const signature = createHmac('sha256', webhookSecret)
    .update(body)
    .digest('hex');
  const response = await request.post(
    `${backend}/api/slipway/webhooks/github`,
    {
      data: body,
      headers: {
        'Content-Type': 'application/json',
        'X-GitHub-Event': event,
        'X-GitHub-Delivery': randomUUID(),
        'X-Hub-Signature-256': `sha256=${signature}`,
        'User-Agent': 'GitHub-Hookshot/e2e',
      },
    },
  );
  expect(response.status(), await response.text()).toBe(202);
  return response.json();
}

/** A token of the guest user, for the authenticated Slipway endpoints. */
export async function guestToken(request: APIRequestContext): Promise<string> {
  const response = await request.get(`${backend}/api/auth/guest/refresh`, {
    headers: { 'X-Requested-With': 'XMLHttpRequest' },
  });
  expect(response.ok(), await response.text()).toBe(true);
  const body = await response.json();
  return body.backstageIdentity.token;
}
