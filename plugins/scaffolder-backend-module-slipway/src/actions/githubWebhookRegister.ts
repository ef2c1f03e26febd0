import {
  AuthService,
  DiscoveryService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { githubTarget, GithubTarget } from '../github/client';
import { githubCall, githubStatus } from '../github/errors';
import { waitForPingDelivery } from '../slipway/deliveries';
import { examples } from './githubWebhookRegister.examples';
import {
  ALLOWED_WEBHOOK_URLS_KEY,
  assertMayRegisterOrgHook,
  resolveWebhookUrl,
} from './webhookRegisterChecks';

/** Events the Slipway backend maps to OASIS events. */
export const DEFAULT_WEBHOOK_EVENTS = [
  'workflow_run',
  'check_run',
  'pull_request',
  'push',
];

interface HookState {
  hookId: number;
  created: boolean;
  [key: string]: number | boolean;
}

/**
 * `slipway:github:webhook:register`: a repository or organization hook to
 * this Backstage's Slipway webhook endpoint, updated rather than duplicated,
 * optionally verified end to end with a ping.
 *
 * @internal
 */
export function createGithubWebhookRegisterAction(options: {
  config: Config;
  discovery: DiscoveryService;
  auth: AuthService;
  permissions: PermissionsService;
}) {
  const { config, discovery, auth, permissions } = options;

  return createTemplateAction({
    id: 'slipway:github:webhook:register',
    description:
      "Registers a GitHub repository or organization webhook pointing at this Backstage's /api/slipway/webhooks/github (JSON, with the configured secret), or at a URL an admin allows in slipway.github.allowedWebhookUrls. An organization hook needs the permission slipway.github.orgWebhook.create. An existing hook with the same URL is updated, never duplicated. With verify: true, pings the hook and waits until Slipway has recorded the ping.",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        repoUrl: z =>
          z.string({
            description:
              'host?owner=<owner>&repo=<repo> for a repository hook, or host?owner=<org> with scope: organization.',
          }),
        scope: z =>
          z
            .enum(['repository', 'organization'], {
              description:
                'Hook on the repository (default) or on the whole organization (needs the permission slipway.github.orgWebhook.create).',
            })
            .optional(),
        webhookUrl: z =>
          z
            .string({
              description: `Where GitHub delivers to. Default: slipway.github.webhookUrl, else the external URL of the slipway backend + /webhooks/github. Any other URL must be listed in ${ALLOWED_WEBHOOK_URLS_KEY}.`,
            })
            .optional(),
        events: z =>
          z
            .array(z.string(), {
              description: `Events to subscribe to (default ${DEFAULT_WEBHOOK_EVENTS.join(
                ', ',
              )}).`,
            })
            .optional(),
        active: z =>
          z
            .boolean({ description: 'Whether the hook delivers (true).' })
            .optional(),
        verify: z =>
          z
            .boolean({
              description:
                'Ping the hook and wait until Slipway has recorded the ping delivery; fails when it does not arrive.',
            })
            .optional(),
        verifyTimeoutSeconds: z =>
          z
            .number({ description: 'How long verify waits for the ping (30).' })
            .int()
            .positive()
            .max(600)
            .optional(),
        token: z =>
          z
            .string({
              description:
                'A GitHub token to use instead of the integration token.',
            })
            .optional(),
      },
      output: {
        hookId: z => z.number({ description: 'The GitHub hook id.' }),
        created: z =>
          z.boolean({
            description: 'False when an existing hook was updated.',
          }),
        webhookUrl: z =>
          z.string({ description: 'The URL the hook delivers to.' }),
        verified: z =>
          z.boolean({
            description: 'True when the ping was recorded by Slipway.',
          }),
      },
    },
    async handler(ctx) {
      const { input } = ctx;
      const scope = input.scope ?? 'repository';
      const secret = webhookSecret(config);
      const webhookUrl = await resolveWebhookUrl(
        config,
        discovery,
        input.webhookUrl,
      );
      const events = input.events?.length
        ? input.events
        : DEFAULT_WEBHOOK_EVENTS;
      const target = await hookTarget(config, input, scope);
      if (scope === 'organization') {
        await assertMayRegisterOrgHook(
          permissions,
          await ctx.getInitiatorCredentials(),
          target.owner,
        );
      }
      const where =
        scope === 'repository'
          ? `${target.owner}/${target.repo}`
          : `the organization ${target.owner}`;

      if (ctx.isDryRun) {
        ctx.logger.info(
          `Dry run: would register a ${scope} hook on ${where} to ${webhookUrl} for ${events.join(
            ', ',
          )}`,
        );
        ctx.output('hookId', 0);
        ctx.output('created', true);
        ctx.output('webhookUrl', webhookUrl);
        ctx.output('verified', false);
        return;
      }

      const state = await ctx.checkpoint<HookState>({
        key: `slipway.github.webhook:${target.host}/${scope}/${target.owner}/${target.repo}:${webhookUrl}`,
        fn: () =>
          upsertHook(target, scope, {
            url: webhookUrl,
            secret,
            events,
            active: input.active ?? true,
          }),
      });
      ctx.logger.info(
        `${state.created ? 'Created' : 'Updated'} hook ${
          state.hookId
        } on ${where} → ${webhookUrl} (${events.join(', ')})`,
      );

      let verified = false;
      if (input.verify) {
        verified = await ctx.checkpoint({
          key: `slipway.github.webhook.verify:${state.hookId}`,
          fn: async () => {
            await waitForPingDelivery({
              discovery,
              auth,
              hookId: state.hookId,
              timeoutMs: (input.verifyTimeoutSeconds ?? 30) * 1000,
              signal: ctx.signal,
              triggerPing: () => pingHook(target, scope, state.hookId),
              describeHook: () => lastResponse(target, scope, state.hookId),
              webhookUrl,
            });
            return true;
          },
        });
        ctx.logger.info(`Slipway recorded the ping of hook ${state.hookId}`);
      }

      ctx.output('hookId', state.hookId);
      ctx.output('created', state.created);
      ctx.output('webhookUrl', webhookUrl);
      ctx.output('verified', verified);
    },
  });
}

// The first secret signs new hooks; the others are still accepted, so that
// a secret can be rotated.
function webhookSecret(config: Config): string {
  const secrets = (
    config.getOptionalStringArray('slipway.github.webhookSecrets') ?? []
  ).filter(Boolean);
  if (!secrets.length) {
    throw new InputError(
      'No webhook secret is configured: set slipway.github.webhookSecrets (Slipway refuses unsigned deliveries, so a hook without the secret would never be accepted).',
    );
  }
  return secrets[0];
}

async function hookTarget(
  config: Config,
  input: { repoUrl: string; token?: string },
  scope: 'repository' | 'organization',
): Promise<GithubTarget> {
  const target = await githubTarget({
    config,
    repoUrl: input.repoUrl,
    token: input.token,
    requireRepo: scope === 'repository',
  });
  if (scope === 'repository' && !target.repo) {
    throw new InputError(
      `repoUrl "${input.repoUrl}" names no repository; add repo=<name>, or set scope: organization for an organization hook.`,
    );
  }
  return target;
}

function hookPath(target: GithubTarget, scope: string) {
  return scope === 'repository'
    ? `/repos/${target.owner}/${target.repo}/hooks`
    : `/orgs/${target.owner}/hooks`;
}

async function upsertHook(
  target: GithubTarget,
  scope: 'repository' | 'organization',
  hook: { url: string; secret: string; events: string[]; active: boolean },
): Promise<HookState> {
  const { octokit, host } = target;
  const base = hookPath(target, scope);
  const where =
    scope === 'repository' ? `${target.owner}/${target.repo}` : target.owner;
  const config = {
    url: hook.url,
    content_type: 'json',
    secret: hook.secret,
    insecure_ssl: '0',
  };
  const findExisting = () =>
    githubCall(`list the webhooks of ${where}`, host, async () => {
      const hooks = await octokit.paginate(`GET ${base}`, { per_page: 100 });
      return (hooks as Array<{ id: number; config?: { url?: string } }>).find(
        h => h.config?.url === hook.url,
      );
    });
  const update = (id: number) =>
    githubCall(`update webhook ${id} of ${where}`, host, () =>
      octokit.request(`PATCH ${base}/{hook_id}`, {
        hook_id: id,
        config,
        events: hook.events,
        active: hook.active,
      }),
    );

  const existing = await findExisting();
  if (existing) {
    await update(existing.id);
    return { hookId: existing.id, created: false };
  }
  try {
    const { data } = await octokit.request(`POST ${base}`, {
      name: 'web',
      config,
      events: hook.events,
      active: hook.active,
    });
    return { hookId: (data as { id: number }).id, created: true };
  } catch (error) {
    // Created meanwhile by a concurrent run: GitHub refuses a second hook
    // with the same URL; adopt and update it.
    if (githubStatus(error) === 422) {
      const raced = await findExisting();
      if (raced) {
        await update(raced.id);
        return { hookId: raced.id, created: false };
      }
    }
    return githubCall(`create a webhook on ${where}`, host, () =>
      Promise.reject(error),
    );
  }
}

async function pingHook(target: GithubTarget, scope: string, hookId: number) {
  await githubCall(`ping webhook ${hookId}`, target.host, () =>
    target.octokit.request(`POST ${hookPath(target, scope)}/{hook_id}/pings`, {
      hook_id: hookId,
    }),
  );
}

async function lastResponse(
  target: GithubTarget,
  scope: string,
  hookId: number,
) {
  try {
    const { data } = await target.octokit.request(
      `GET ${hookPath(target, scope)}/{hook_id}`,
      { hook_id: hookId },
    );
    const last = (data as any).last_response;
    return last
      ? `GitHub's last delivery to it answered ${last.code ?? 'nothing'} (${
          last.status
        }${last.message ? `: ${last.message}` : ''})`
      : undefined;
  } catch {
    return undefined;
  }
}
