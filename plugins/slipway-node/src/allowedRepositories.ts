import { Config } from '@backstage/config';
import { NotAllowedError, InputError } from '@backstage/errors';
import { ScmIntegrations } from '@backstage/integration';

const SETTING = 'slipway.allowedRepositories';

function normalizePrefix(prefix: string): string {
  if (prefix.startsWith('file://')) {
    return prefix;
  }
  const url = new URL(prefix);
  // Scheme and host are case-insensitive; the path is not.
  return `${url.protocol}//${url.host.toLowerCase()}${url.pathname}`;
}

/**
 * Which repository URLs Slipway may read: templates are extracted from them
 * and apps deployed from them. Configured with `slipway.allowedRepositories`
 * (URL prefixes); by default the hosts of Backstage `integrations`.
 * `file://` URLs are accepted only when a listed prefix allows them.
 *
 * @public
 */
export class RepositoryAllowList {
  /** Reads `slipway.allowedRepositories`, defaulting to the integration hosts. */
  static fromConfig(config: Config): RepositoryAllowList {
    const configured = config.getOptionalStringArray(SETTING);
    if (configured) {
      return new RepositoryAllowList(configured.map(normalizePrefix));
    }
    const hosts = ScmIntegrations.fromConfig(config)
      .list()
      .map(
        integration =>
          // Every built-in integration keeps its host in config; the title
          // is the host too when config is not exposed.
          (integration as { config?: { host?: string } }).config?.host ??
          integration.title,
      );
    return new RepositoryAllowList(
      [...new Set(hosts)].map(host => `https://${host.toLowerCase()}/`),
    );
  }

  constructor(private readonly prefixes: string[]) {}

  /** The effective prefixes, for messages and diagnostics. */
  list(): string[] {
    return [...this.prefixes];
  }

  /** Whether the URL may be read. Never throws. */
  isAllowed(url: string): boolean {
    try {
      return this.check(url) === undefined;
    } catch {
      return false;
    }
  }

  /**
   * Throws a clear error naming the setting when the URL may not be read.
   * `purpose` says what was attempted, e.g. "extract a template".
   */
  assertAllowed(url: string, purpose: string): void {
    const problem = this.check(url);
    if (problem) {
      throw new NotAllowedError(
        `Refused to ${purpose} from ${safeUrl(url)}: ${problem}`,
      );
    }
  }

  private check(raw: string): string | undefined {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new InputError(
        `"${safeUrl(
          raw,
        )}" is not a valid repository URL; use https://host/owner/repo or file:///path`,
      );
    }
    if (url.username || url.password) {
      return 'credentials in repository URLs are not accepted; configure them in Backstage integrations instead';
    }
    if (!['https:', 'http:', 'file:'].includes(url.protocol)) {
      return `the ${url.protocol} scheme is not supported (use https or file)`;
    }
    const normalized =
      url.protocol === 'file:'
        ? `file://${url.pathname}`
        : `${url.protocol}//${url.host.toLowerCase()}${url.pathname}`;
    // Path traversal in the URL must not escape an allowed prefix.
    if (decodeURIComponent(url.pathname).split('/').includes('..')) {
      return 'the URL path contains ".."';
    }
    const allowed = this.prefixes.some(prefix => normalized.startsWith(prefix));
    if (allowed) {
      return undefined;
    }
    const listed = this.prefixes.length
      ? this.prefixes.join(', ')
      : '(none: no integrations configured)';
    return `it does not start with any prefix in ${SETTING} (${listed}). Add a prefix to ${SETTING} in app-config.yaml to allow it.`;
  }
}

/**
 * The URL without any user info, for messages.
 *
 * @public
 */
export function safeUrl(raw: string): string {
  try {
    const url = new URL(raw);
    url.username = '';
    url.password = '';
    return url.toString();
  } catch {
    return raw.replace(/\/\/[^/@]*@/, '//');
  }
}
