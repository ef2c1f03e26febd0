import { canAdminOrg, writableRepo } from '../access';
import { notFound, validationFailed } from '../errors';
import { paginate } from '../paginate';
import { ApiCall, ApiResult, GithubTestHook } from '../types';
import { RouteContext } from './context';

const REPO_HOOK_SCOPES = ['admin:repo_hook', 'write:repo_hook', 'repo'];
const ORG_HOOK_SCOPES = ['admin:org_hook'];

/**
 * Repository and organization webhooks: list, create, read, edit, delete
 * and ping. Both kinds answer alike on GitHub, so they share the handlers.
 */
export function hookRoutes(context: RouteContext): void {
  hookRoutesOf(context, '/repos/:owner/:repo', 'Repository', REPO_HOOK_SCOPES, [
    ...REPO_HOOK_SCOPES,
    'read:repo_hook',
  ]);
  hookRoutesOf(
    context,
    '/orgs/:org',
    'Organization',
    ORG_HOOK_SCOPES,
    ORG_HOOK_SCOPES,
  );
}

function hookRoutesOf(
  { router, store, json, site, webhooks, pingOnHookCreate }: RouteContext,
  prefix: string,
  type: GithubTestHook['type'],
  scopes: string[],
  readScopes: string[],
): void {
  // Only those who may administer the repository or organization see its
  // hooks; to anyone else they do not exist.
  const targetOf = (call: ApiCall): string | undefined => {
    if (type === 'Repository') {
      const repo = writableRepo(store, call);
      return repo ? `${repo.owner}/${repo.name}` : undefined;
    }
    // Organization hooks are for its owners only (404 for anyone else).
    const org = store.account(call.params.org);
    return org && canAdminOrg(store, call.token, org.login)
      ? org.login
      : undefined;
  };
  const onHooks = (
    method: string,
    routeScopes: string[],
    handle: (target: string, call: ApiCall) => ApiResult,
  ) =>
    router.route(
      method,
      `${prefix}/hooks`,
      call => {
        const target = targetOf(call);
        return target ? handle(target, call) : notFound();
      },
      routeScopes,
    );
  const onHook = (
    method: string,
    suffix: string,
    routeScopes: string[],
    handle: (hook: GithubTestHook, call: ApiCall) => ApiResult,
  ) =>
    router.route(
      method,
      `${prefix}/hooks/:hook_id${suffix}`,
      call => {
        const target = targetOf(call);
        const hook = target
          ? store
              .hooksOf(target)
              .find(
                h => h.id === Number(call.params.hook_id) && h.type === type,
              )
          : undefined;
        return hook ? handle(hook, call) : notFound();
      },
      routeScopes,
    );
  const missingUrl = () =>
    validationFailed('Hook', undefined, 'custom', 'Config must contain URL.');

  onHooks('GET', readScopes, (target, call) =>
    paginate(
      site,
      call,
      `${prefix}/hooks`,
      store
        .hooksOf(target)
        .filter(h => h.type === type)
        .map(h => json.hook(h)),
    ),
  );

  onHooks('POST', scopes, (target, { body }) => {
    const config = body?.config ?? {};
    if (typeof config.url !== 'string' || !config.url) return missingUrl();
    if (
      store
        .hooksOf(target)
        .some(h => h.type === type && h.config.url === config.url)
    ) {
      return validationFailed(
        'Hook',
        undefined,
        'custom',
        `Hook already exists on this ${
          type === 'Repository' ? 'repository' : 'organization'
        }`,
      );
    }
    const now = new Date().toISOString();
    const hook: GithubTestHook = {
      id: store.newId(),
      target,
      type,
      active: body.active ?? true,
      events:
        Array.isArray(body.events) && body.events.length
          ? body.events
          : ['push'],
      config: {
        url: config.url,
        content_type: config.content_type === 'json' ? 'json' : 'form',
        secret: config.secret,
        insecure_ssl: String(config.insecure_ssl ?? '0'),
      },
      createdAt: now,
      updatedAt: now,
      lastResponse: { code: null, status: 'unused', message: null },
    };
    store.hooks.push(hook);
    if (pingOnHookCreate) webhooks.ping(hook);
    return { status: 201, body: json.hook(hook) };
  });

  onHook('GET', '', readScopes, hook => ({
    status: 200,
    body: json.hook(hook),
  }));

  onHook('PATCH', '', scopes, (hook, { body }) => {
    if (body.config) {
      if (
        body.config.url !== undefined &&
        (typeof body.config.url !== 'string' || !body.config.url)
      ) {
        return missingUrl();
      }
      hook.config = {
        url: body.config.url ?? hook.config.url,
        content_type: ['json', 'form'].includes(body.config.content_type)
          ? body.config.content_type
          : hook.config.content_type,
        // GitHub removes the secret unless the update sends it again.
        secret: body.config.secret,
        insecure_ssl: String(
          body.config.insecure_ssl ?? hook.config.insecure_ssl,
        ),
      };
    }
    if (Array.isArray(body.events)) hook.events = body.events;
    if (Array.isArray(body.add_events))
      hook.events = [...new Set([...hook.events, ...body.add_events])];
    if (typeof body.active === 'boolean') hook.active = body.active;
    hook.updatedAt = new Date().toISOString();
    return { status: 200, body: json.hook(hook) };
  });

  onHook('DELETE', '', scopes, hook => {
    store.hooks.splice(store.hooks.indexOf(hook), 1);
    return { status: 204 };
  });

  onHook('POST', '/pings', readScopes, hook => {
    webhooks.ping(hook);
    return { status: 204 };
  });
}
