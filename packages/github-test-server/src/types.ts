import { IncomingMessage } from 'node:http';

/** A user or organization account. @public */
export interface GithubAccount {
  login: string;
  id: number;
  type: 'User' | 'Organization';
  /** Organization members (logins). */
  members: string[];
  /**
   * Organization owners (logins): only they may administer the
   * organization's webhooks, as on GitHub.
   */
  owners: string[];
}

/**
 * A token the server accepts. `classic` tokens carry OAuth scopes (sent back
 * in `X-OAuth-Scopes`, checked per endpoint like GitHub's classic personal
 * access tokens); `app` tokens are GitHub App installation tokens on one
 * account: they cannot use `/user` nor create repositories for a user.
 * @public
 */
export interface GithubTestToken {
  token: string;
  kind: 'classic' | 'app';
  /** The user a classic token belongs to. */
  login?: string;
  scopes?: string[];
  /** The account an app token is installed on. */
  installationOwner?: string;
}

/** A stored repository. @public */
export interface GithubTestRepo {
  id: number;
  owner: string;
  name: string;
  description: string | null;
  private: boolean;
  visibility: 'public' | 'private' | 'internal';
  defaultBranch: string;
  topics: string[];
  createdAt: string;
  updatedAt: string;
  pushedAt: string | null;
  /** Kilobytes of git objects, as GitHub's `size` (0 while empty). */
  size: number;
  hasIssues: boolean;
  homepage: string | null;
}

/** A repository or organization webhook. @public */
export interface GithubTestHook {
  id: number;
  /** `owner/repo` for a repository hook, the org login for an org hook. */
  target: string;
  type: 'Repository' | 'Organization';
  active: boolean;
  events: string[];
  config: {
    url: string;
    content_type: 'json' | 'form';
    secret?: string;
    insecure_ssl: string;
  };
  createdAt: string;
  updatedAt: string;
  lastResponse: { code: number | null; status: string; message: string | null };
}

/** One webhook delivery the server sent. @public */
export interface GithubTestDelivery {
  guid: string;
  hookId: number;
  event: string;
  deliveredAt: string;
  statusCode: number | null;
  error?: string;
  payload: unknown;
}

/** A request the server answered, for assertions. @public */
export interface GithubTestRequest {
  method: string;
  path: string;
  status: number;
  /** Response body bytes, for git requests (to measure transfers). */
  bytes?: number;
}

/** What an API route handler gets. @public */
export interface ApiCall {
  req: IncomingMessage;
  params: Record<string, string>;
  query: URLSearchParams;
  body: any;
  token?: GithubTestToken;
  /** The acting user (classic token) — undefined for app tokens. */
  user?: GithubAccount;
}

/** What an API route handler returns. @public */
export interface ApiResult {
  status: number;
  body?: unknown;
  /** Sent as is instead of JSON (e.g. raw file contents). */
  raw?: Buffer;
  headers?: Record<string, string>;
}
