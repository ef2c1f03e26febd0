import { IncomingMessage } from 'node:http';
import type { Handler } from './api';
import { notFound } from './errors';
import { GithubStore } from './store';
import { ApiCall, ApiResult, GithubTestRepo, GithubTestToken } from './types';

/**
 * The token of a request: from `token` or `bearer` as API clients send it,
 * or the password of `basic` as git sends it. `'bad'` for an unknown token
 * or scheme (GitHub answers 401 rather than treating it as anonymous).
 */
export function authenticate(
  tokens: ReadonlyMap<string, GithubTestToken>,
  req: IncomingMessage,
): GithubTestToken | undefined | 'bad' {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const [scheme, value = ''] = header.split(' ');
  let token = value;
  if (scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    token = decoded.slice(decoded.indexOf(':') + 1);
  } else if (!['token', 'bearer'].includes(scheme.toLowerCase())) {
    return 'bad';
  }
  return tokens.get(token) ?? 'bad';
}

/** Whether the token may write to repositories of `owner`. */
export function canWrite(
  store: GithubStore,
  token: GithubTestToken | undefined,
  owner: string,
): boolean {
  if (!token) return false;
  const account = store.account(owner);
  if (!account) return false;
  if (token.kind === 'app') {
    return token.installationOwner?.toLowerCase() === owner.toLowerCase();
  }
  const login = token.login?.toLowerCase();
  return (
    account.login.toLowerCase() === login ||
    account.members.some(member => member.toLowerCase() === login)
  );
}

/**
 * Whether the token may administer an organization (its webhooks): an
 * owner's classic token, or an App installed on it. Members may not.
 */
export function canAdminOrg(
  store: GithubStore,
  token: GithubTestToken | undefined,
  org: string,
): boolean {
  const account = store.account(org);
  if (!token || account?.type !== 'Organization') return false;
  if (token.kind === 'app') {
    return token.installationOwner?.toLowerCase() === org.toLowerCase();
  }
  const login = token.login?.toLowerCase();
  return account.owners.some(owner => owner.toLowerCase() === login);
}

export function canRead(
  store: GithubStore,
  token: GithubTestToken | undefined,
  repo: GithubTestRepo,
): boolean {
  return !repo.private || canWrite(store, token, repo.owner);
}

/** The `:owner/:repo` of a call, if its token may read it. */
export function readableRepo(
  store: GithubStore,
  call: ApiCall,
): GithubTestRepo | undefined {
  const repo = store.repo(call.params.owner, call.params.repo);
  return repo && canRead(store, call.token, repo) ? repo : undefined;
}

/** The `:owner/:repo` of a call, if its token may write to it. */
export function writableRepo(
  store: GithubStore,
  call: ApiCall,
): GithubTestRepo | undefined {
  const repo = readableRepo(store, call);
  return repo && canWrite(store, call.token, repo.owner) ? repo : undefined;
}

/**
 * A handler of an `:owner/:repo` route that gets the repository, or answers
 * 404 when the token may not `read` (or `write`) it: GitHub does not tell a
 * repository one may not see from one that does not exist.
 */
export function repoHandler(
  store: GithubStore,
  access: 'read' | 'write',
  handle: (repo: GithubTestRepo, call: ApiCall) => ApiResult,
): Handler {
  return call => {
    const repo =
      access === 'read' ? readableRepo(store, call) : writableRepo(store, call);
    return repo ? handle(repo, call) : notFound();
  };
}
