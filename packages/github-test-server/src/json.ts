import { GithubStore } from './store';
import { GithubAccount, GithubTestHook, GithubTestRepo } from './types';

/**
 * Where the server listens. A getter rather than a value: the port is
 * known only once the server listens.
 */
export interface GithubSite {
  /** `http://127.0.0.1:<port>` */
  readonly baseUrl: string;
  readonly apiBaseUrl: string;
  /** `127.0.0.1:<port>` */
  readonly host: string;
}

function nodeId(type: string, id: number): string {
  return Buffer.from(`${type}${id}`).toString('base64');
}

/** Accounts, organizations, repositories and hooks as GitHub's REST API shows them. */
export class GithubJson {
  constructor(
    private readonly site: GithubSite,
    private readonly store: GithubStore,
  ) {}

  account(account: GithubAccount) {
    const { apiBaseUrl, baseUrl } = this.site;
    const api = `${apiBaseUrl}/${account.type === 'User' ? 'users' : 'orgs'}/${
      account.login
    }`;
    return {
      login: account.login,
      id: account.id,
      node_id: nodeId(account.type, account.id),
      avatar_url: `${baseUrl}/avatars/${account.login}`,
      gravatar_id: '',
      url: api,
      html_url: `${baseUrl}/${account.login}`,
      repos_url: `${api}/repos`,
      type: account.type,
      site_admin: false,
    };
  }

  org(account: GithubAccount) {
    const { apiBaseUrl, baseUrl } = this.site;
    const api = `${apiBaseUrl}/orgs/${account.login}`;
    return {
      login: account.login,
      id: account.id,
      node_id: nodeId('Organization', account.id),
      url: api,
      repos_url: `${api}/repos`,
      hooks_url: `${api}/hooks`,
      members_url: `${api}/members{/member}`,
      avatar_url: `${baseUrl}/avatars/${account.login}`,
      description: null,
      html_url: `${baseUrl}/${account.login}`,
      type: 'Organization',
    };
  }

  repo(repo: GithubTestRepo) {
    const { apiBaseUrl, baseUrl, host } = this.site;
    const owner = this.store.account(repo.owner)!;
    const fullName = `${repo.owner}/${repo.name}`;
    const api = `${apiBaseUrl}/repos/${fullName}`;
    return {
      id: repo.id,
      node_id: nodeId('Repository', repo.id),
      name: repo.name,
      full_name: fullName,
      private: repo.private,
      owner: this.account(owner),
      html_url: `${baseUrl}/${fullName}`,
      description: repo.description,
      fork: false,
      url: api,
      hooks_url: `${api}/hooks`,
      git_url: `git://${host}/${fullName}.git`,
      ssh_url: `git@${host}:${fullName}.git`,
      clone_url: `${baseUrl}/${fullName}.git`,
      homepage: repo.homepage,
      size: repo.size,
      default_branch: repo.defaultBranch,
      visibility: repo.visibility,
      topics: repo.topics,
      has_issues: repo.hasIssues,
      archived: false,
      disabled: false,
      created_at: repo.createdAt,
      updated_at: repo.updatedAt,
      pushed_at: repo.pushedAt,
      permissions: {
        admin: true,
        maintain: true,
        push: true,
        triage: true,
        pull: true,
      },
    };
  }

  hook(hook: GithubTestHook) {
    const base =
      hook.type === 'Repository'
        ? `${this.site.apiBaseUrl}/repos/${hook.target}/hooks/${hook.id}`
        : `${this.site.apiBaseUrl}/orgs/${hook.target}/hooks/${hook.id}`;
    return {
      type: hook.type,
      id: hook.id,
      name: 'web',
      active: hook.active,
      events: hook.events,
      config: {
        content_type: hook.config.content_type,
        insecure_ssl: hook.config.insecure_ssl,
        url: hook.config.url,
        // GitHub never shows a secret back, only that there is one.
        ...(hook.config.secret ? { secret: '********' } : {}),
      },
      updated_at: hook.updatedAt,
      created_at: hook.createdAt,
      url: base,
      ping_url: `${base}/pings`,
      deliveries_url: `${base}/deliveries`,
      // Only repository hooks have a test (push) endpoint and show their
      // last response on GitHub (the org-hook schema has neither).
      ...(hook.type === 'Repository'
        ? { test_url: `${base}/test`, last_response: hook.lastResponse }
        : {}),
    };
  }
}
