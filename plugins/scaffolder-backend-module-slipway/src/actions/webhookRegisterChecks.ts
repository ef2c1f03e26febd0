import {
  BackstageCredentials,
  DiscoveryService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { InputError, NotAllowedError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { slipwayGithubOrgWebhookCreatePermission } from '@slipway/plugin-slipway-common';
import { safeUrl } from '@slipway/plugin-slipway-node';

/** The setting that lists further hook URLs templates may register. */
export const ALLOWED_WEBHOOK_URLS_KEY = 'slipway.github.allowedWebhookUrls';

/** `new URL(raw).href`, so that case and default ports do not matter. */
function normalize(raw: string): string | undefined {
  try {
    const url = new URL(raw);
    return ['http:', 'https:'].includes(url.protocol) ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The URL a hook is registered to. A hook delivers the events of a
 * repository (or a whole organization) and is created with the integration
 * token, which may do that for repositories the user running the template
 * cannot read, so only URLs of this Backstage's own webhook endpoint are
 * accepted: `slipway.github.webhookUrl`, the slipway backend's external URL
 * + `/webhooks/github` (discovery), and those an admin lists in
 * `slipway.github.allowedWebhookUrls`. Compared as whole URLs after
 * normalization (scheme, host, port, path and query); anything else is
 * refused before GitHub is called. Returns the default when none is given.
 */
export async function resolveWebhookUrl(
  config: Config,
  discovery: DiscoveryService,
  requested: string | undefined,
): Promise<string> {
  const configured = config.getOptionalString('slipway.github.webhookUrl');
  const discovered = `${await discovery.getExternalBaseUrl(
    'slipway',
  )}/webhooks/github`;
  const fallback = configured ?? discovered;
  if (requested === undefined) {
    if (!normalize(fallback)) {
      throw new InputError(
        `slipway.github.webhookUrl "${safeUrl(
          fallback,
        )}" is no http(s) URL; set it to the public URL GitHub delivers to.`,
      );
    }
    return fallback;
  }
  const wanted = normalize(requested);
  if (!wanted) {
    throw new InputError(
      `Invalid webhookUrl "${safeUrl(
        requested,
      )}": use an http(s) URL GitHub can reach, or leave it out to use ${fallback}.`,
    );
  }
  const allowed = [
    configured,
    discovered,
    ...(config.getOptionalStringArray(ALLOWED_WEBHOOK_URLS_KEY) ?? []),
  ]
    .filter((url): url is string => Boolean(url))
    .map(normalize);
  if (!allowed.includes(wanted)) {
    throw new InputError(
      `The webhookUrl "${safeUrl(
        requested,
      )}" is not this Backstage's webhook endpoint (${fallback}) nor listed in ${ALLOWED_WEBHOOK_URLS_KEY}, so no hook was registered. Leave webhookUrl out to use ${fallback}, or ask an admin to add the URL to ${ALLOWED_WEBHOOK_URLS_KEY}.`,
    );
  }
  return requested;
}

/**
 * An organization hook receives the events of every repository of the
 * organization: it needs the basic permission
 * `slipway.github.orgWebhook.create`, checked for the user who runs the
 * template (the scaffolder's initiator), not for the scaffolder.
 */
export async function assertMayRegisterOrgHook(
  permissions: PermissionsService,
  credentials: BackstageCredentials,
  org: string,
): Promise<void> {
  const [decision] = await permissions.authorize(
    [{ permission: slipwayGithubOrgWebhookCreatePermission }],
    { credentials },
  );
  if (decision.result === AuthorizeResult.ALLOW) return;
  const principal = credentials.principal as { userEntityRef?: string };
  const who = principal.userEntityRef ?? 'the user running this template';
  throw new NotAllowedError(
    `Registering a webhook on the whole organization ${org} needs the permission ${slipwayGithubOrgWebhookCreatePermission.name}, which ${who} does not have, so no hook was created. Ask an admin to grant it in the permission policy, or register a repository hook (scope: repository).`,
  );
}
