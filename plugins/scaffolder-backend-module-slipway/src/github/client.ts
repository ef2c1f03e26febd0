import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { ScmIntegrations } from '@backstage/integration';
import { parseRepoUrl } from '@backstage/plugin-scaffolder-node';
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
  let parsed: ReturnType<typeof parseRepoUrl>;
  try {
    parsed = parseRepoUrl(repoUrl, integrations);
  } catch (error) {
    throw new InputError(
      `Invalid repoUrl "${repoUrl}": ${
        (error as Error).message
      }. Use host?owner=<owner>&repo=<name>, as RepoUrlPicker produces.`,
    );
  }
  const { host, owner = '', repo = '' } = parsed;
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
  if (options.requireRepo !== false || repo) {
    validateRepoName(owner, repo);
  } else {
    validateRepoName(owner, 'placeholder');
  }
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
