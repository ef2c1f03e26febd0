import { createHmac, randomUUID } from 'node:crypto';
import { GithubJson } from './json';
import { GithubStore } from './store';
import { GithubTestDelivery, GithubTestHook } from './types';

/**
 * Sends webhook deliveries as GitHub does (its headers, form or JSON
 * bodies, HMAC signatures with the hook's secret), records each one and the
 * hook's last response, and keeps count of those in flight so a test can
 * wait for them.
 */
export class Webhooks {
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly store: GithubStore,
    private readonly json: GithubJson,
  ) {}

  /**
   * Delivers `event` to every active hook of the repository and of its
   * owner organization subscribed to it.
   */
  deliverEvent(
    owner: string,
    repoName: string,
    event: string,
    payload: Record<string, unknown>,
  ): Promise<GithubTestDelivery[]> {
    const targets = [
      ...this.store.hooksOf(`${owner}/${repoName}`),
      ...this.store.hooksOf(owner).filter(h => h.type === 'Organization'),
    ].filter(
      hook =>
        hook.active &&
        (hook.events.includes(event) || hook.events.includes('*')),
    );
    return Promise.all(targets.map(hook => this.deliver(hook, event, payload)));
  }

  /**
   * Pings the hook without waiting: GitHub answers the API call first and
   * delivers afterwards. {@link Webhooks.settle} waits for it.
   */
  ping(hook: GithubTestHook): void {
    const [owner, repoName] = hook.target.split('/');
    const repo =
      hook.type === 'Repository' ? this.store.repo(owner, repoName) : undefined;
    const org = this.store.account(owner);
    const delivery = this.deliver(hook, 'ping', {
      zen: 'Keep it logically awesome.',
      hook_id: hook.id,
      hook: this.json.hook(hook),
      ...(repo ? { repository: this.json.repo(repo) } : {}),
      ...(org?.type === 'Organization'
        ? { organization: this.json.org(org) }
        : {}),
      sender: this.json.account(
        org ?? this.store.accounts.values().next().value!,
      ),
    });
    this.pending.add(delivery);
    delivery.finally(() => this.pending.delete(delivery));
  }

  /** Waits until every delivery in flight was answered. */
  async settle(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  private async deliver(
    hook: GithubTestHook,
    event: string,
    payload: Record<string, unknown>,
  ): Promise<GithubTestDelivery> {
    const guid = randomUUID();
    const json = JSON.stringify(payload);
    const body =
      hook.config.content_type === 'json'
        ? json
        : `payload=${encodeURIComponent(json)}`;
    const [owner, repoName] = hook.target.split('/');
    const headers: Record<string, string> = {
      'content-type':
        hook.config.content_type === 'json'
          ? 'application/json'
          : 'application/x-www-form-urlencoded',
      'user-agent': 'GitHub-Hookshot/slipway-test',
      'x-github-event': event,
      'x-github-delivery': guid,
      'x-github-hook-id': String(hook.id),
      'x-github-hook-installation-target-type':
        hook.type === 'Repository' ? 'repository' : 'organization',
      'x-github-hook-installation-target-id': String(
        hook.type === 'Repository'
          ? this.store.repo(owner, repoName)?.id
          : this.store.account(hook.target)?.id,
      ),
    };
    if (hook.config.secret) {
      // GitHub sends both; older receivers check only the SHA-1 one.
      headers['x-hub-signature'] = sign('sha1', hook.config.secret, body);
      headers['x-hub-signature-256'] = sign('sha256', hook.config.secret, body);
    }
    const delivery: GithubTestDelivery = {
      guid,
      hookId: hook.id,
      event,
      deliveredAt: new Date().toISOString(),
      statusCode: null,
      payload,
    };
    try {
      const response = await fetch(hook.config.url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(10_000),
      });
      delivery.statusCode = response.status;
      const text = await response.text();
      hook.lastResponse = {
        code: response.status,
        status: response.ok ? 'active' : 'misconfigured',
        message: response.ok
          ? 'OK'
          : `Invalid HTTP Response: ${response.status} ${text.slice(0, 200)}`,
      };
    } catch (error) {
      delivery.error = String((error as Error).message);
      hook.lastResponse = {
        code: 0,
        status: 'misconfigured',
        message: `failed to connect to host: ${delivery.error}`,
      };
    }
    this.store.deliveries.push(delivery);
    return delivery;
  }
}

function sign(algorithm: 'sha1' | 'sha256', secret: string, body: string) {
  return `${algorithm}=${createHmac(algorithm, secret)
    .update(body)
    .digest('hex')}`;
}
