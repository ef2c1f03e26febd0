import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { ScmIntegrations } from '@backstage/integration';
import { tokenForRepositoryUrl } from '@slipway/plugin-slipway-node';
import { Octokit } from '@octokit/rest';
import { validateRepoName } from './names';

/** A GitHub API client for one host of `integrations.github`. */
export interface GithubTarget {
  octokit: Octokit;
  /** The token (for git over HTTP); never logged or output. */
  token: string;
  host: string;
  owner: string;
  /** Empty for organization-wide targets. */
  repo: string;
}

/**
 * Parses the scaffolder's `host?owner=…&repo=…` URL (from RepoUrlPicker),
 * validates the names and builds an Octokit client on the integration's
 * `apiBaseUrl`, authenticated with the integration token (a personal access
 * token or an App installation token for that owner) or an explicit one.
 */
export async function githubTarget(options: {
  config: Config;
  repoUrl: string;
  token?: string;
  requireRepo?: boolean;
}): Promise<GithubTarget> {
  const { config, repoUrl } = options;
  const integrations = ScmIntegrations.fromConfig(config);
  // The RepoUrlPicker format, parsed here rather than with the scaffolder's
  // parseRepoUrl, which insists on a repo (an organization hook has none).
  let parsed: URL;
  try {
    parsed = new URL(`https://${repoUrl}`);
  } catch {
    throw new InputError(
      `Invalid repoUrl "${repoUrl}": use host?owner=<owner>&repo=<name>, as RepoUrlPicker produces.`,
    );
  }
  const host = parsed.host;
  const owner = parsed.searchParams.get('owner') ?? '';
  const repo = parsed.searchParams.get('repo') ?? '';
  const integration = integrations.github.byHost(host);
  if (!integration) {
    throw new InputError(
      `No GitHub integration is configured for ${host}. Add it to integrations.github in app-config.yaml (with apiBaseUrl for GitHub Enterprise).`,
    );
  }
  if (!owner) {
    throw new InputError(
      `repoUrl "${repoUrl}" has no owner; add owner=<user or organization>.`,
    );
  }
  if (!repo && options.requireRepo !== false) {
    throw new InputError(
      `repoUrl "${repoUrl}" names no repository; add repo=<name>, or set scope: organization for an organization hook.`,
    );
  }
  validateRepoName(owner, repo || 'placeholder');
  const token =
    options.token ??
    (await tokenForRepositoryUrl(
      config,
      `https://${host}/${owner}/${repo || 'placeholder'}`,
    ));
  if (!token) {
    throw new InputError(
      `No GitHub token for ${host}/${owner}: configure a token or GitHub App in integrations.github, or pass token to the action.`,
    );
  }
  const octokit = new Octokit({
    auth: token,
    baseUrl: integration.config.apiBaseUrl ?? `https://api.${host}`,
    userAgent: 'slipway-scaffolder',
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });
  return { octokit, token, host, owner, repo };
}
