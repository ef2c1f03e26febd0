import { IncomingMessage, ServerResponse } from 'node:http';
import { authenticate, canRead, canWrite } from '../access';
import { serveGit } from '../gitHttpBackend';
import { GithubStore } from '../store';

/** A smart-HTTP git request: `/<owner>/<repo>(.git)/<action>`. */
export interface GitRequestPath {
  owner: string;
  name: string;
  action: 'info/refs' | 'git-upload-pack' | 'git-receive-pack';
}

/** The repository and git action a path asks for, if it is a git request. */
export function matchGitPath(pathname: string): GitRequestPath | undefined {
  const match = pathname.match(
    /^\/([^/]+)\/([^/]+?)(?:\.git)?\/(info\/refs|git-upload-pack|git-receive-pack)$/,
  );
  return match
    ? {
        owner: match[1],
        name: match[2],
        action: match[3] as GitRequestPath['action'],
      }
    : undefined;
}

/**
 * Lets git fetch and push as GitHub's git endpoints do: a challenge for
 * anonymous callers where a token is needed, "Repository not found" for a
 * repository the token may not read, "Permission denied" for a push without
 * write access or the scope for it; then hands over to `git http-backend`.
 * `record` gets the status of the answer and, for what git served, the
 * bytes it sent.
 */
export function serveGitRequest(
  store: GithubStore,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  { owner, name, action }: GitRequestPath,
  record: (status: number, bytes?: number) => void,
): void {
  const repo = store.repo(owner, name);
  const auth = authenticate(store.tokens, req);
  const token = auth === 'bad' ? undefined : auth;
  const service =
    action === 'info/refs' ? url.searchParams.get('service') : action;
  const push = service === 'git-receive-pack';
  const answer = (status: number, text: string, challenge = false) => {
    record(status);
    res.writeHead(status, {
      // git asks for credentials (or gives up) only on this header.
      ...(challenge ? { 'www-authenticate': 'Basic realm="GitHub"' } : {}),
      'content-type': 'text/plain',
    });
    res.end(text);
  };
  const challenge = () =>
    answer(
      401,
      auth === 'bad' ? 'Invalid username or token.' : 'Authentication required',
      true,
    );
  if (auth === 'bad') {
    challenge();
    return;
  }
  if (!repo || !canRead(store, token, repo)) {
    // Anonymous callers are asked to authenticate first, as the repository
    // may be private.
    if (token) answer(404, 'Repository not found.');
    else challenge();
    return;
  }
  if (push) {
    if (!token) {
      challenge();
      return;
    }
    const scopesOk =
      token.kind === 'app' ||
      (token.scopes ?? []).includes('repo') ||
      (!repo.private && (token.scopes ?? []).includes('public_repo'));
    if (!canWrite(store, token, repo.owner) || !scopesOk) {
      answer(403, `Permission to ${repo.owner}/${repo.name}.git denied.`);
      return;
    }
  }
  serveGit({
    req,
    res,
    projectRoot: store.reposDir,
    pathInfo: `/${repo.owner.toLowerCase()}/${repo.name.toLowerCase()}.git/${action}`,
    query: url.search.slice(1),
    remoteUser: token
      ? token.login ?? `app-${token.installationOwner}`
      : undefined,
    onFinished: (_code, bytes) => {
      record(res.statusCode, bytes);
      if (push && action === 'git-receive-pack') store.afterPush(repo);
    },
  });
}
