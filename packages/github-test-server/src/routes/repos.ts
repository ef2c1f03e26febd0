import { canWrite, repoHandler } from '../access';
import { DOCS, githubError, notFound, validationFailed } from '../errors';
import { ApiCall, ApiResult, GithubAccount } from '../types';
import { RouteContext } from './context';

const REPO_SCOPES = ['repo', 'public_repo'];
const CREATE_FOR_USER_DOCS = `${DOCS}/repos/repos#create-a-repository-for-the-authenticated-user`;

/**
 * Repositories: creation for a user or an organization, reading, editing
 * and topics.
 */
export function repoRoutes({ router, store, json }: RouteContext): void {
  const createRepo = (owner: GithubAccount, call: ApiCall): ApiResult => {
    const { body } = call;
    const name = typeof body?.name === 'string' ? body.name : '';
    if (!/^[A-Za-z0-9._-]{1,100}$/.test(name)) {
      return validationFailed(
        'Repository',
        'name',
        'missing_field',
        'name is invalid',
      );
    }
    if (store.repo(owner.login, name)) {
      return githubError(422, 'Repository creation failed.', {
        errors: [
          {
            resource: 'Repository',
            code: 'custom',
            field: 'name',
            message: 'name already exists on this account',
          },
        ],
        documentationUrl: CREATE_FOR_USER_DOCS,
      });
    }
    const isPrivate =
      body.private === true ||
      body.visibility === 'private' ||
      body.visibility === 'internal';
    const token = call.token!;
    if (
      isPrivate &&
      token.kind === 'classic' &&
      !(token.scopes ?? []).includes('repo')
    ) {
      // `public_repo` let the call through the router, but a private
      // repository needs `repo`.
      return { ...notFound(), headers: { 'x-accepted-oauth-scopes': 'repo' } };
    }
    const repo = store.createRepo(owner.login, name, {
      description: body.description ?? null,
      private: isPrivate,
    });
    if (body.visibility === 'internal') repo.visibility = 'internal';
    if (typeof body.homepage === 'string') repo.homepage = body.homepage;
    if (body.has_issues === false) repo.hasIssues = false;
    return { status: 201, body: json.repo(repo) };
  };

  router.route(
    'POST',
    '/user/repos',
    call => {
      if (!call.user) {
        return githubError(403, 'Resource not accessible by integration', {
          documentationUrl: CREATE_FOR_USER_DOCS,
        });
      }
      return createRepo(call.user, call);
    },
    REPO_SCOPES,
  );

  router.route(
    'POST',
    '/orgs/:org/repos',
    call => {
      const org = store.account(call.params.org);
      if (!org || org.type !== 'Organization') return notFound();
      if (!canWrite(store, call.token, org.login)) {
        return githubError(
          403,
          'You need admin access to the organization before adding a repository to it.',
          {
            documentationUrl: `${DOCS}/repos/repos#create-an-organization-repository`,
          },
        );
      }
      return createRepo(org, call);
    },
    REPO_SCOPES,
  );

  router.route(
    'GET',
    '/repos/:owner/:repo',
    repoHandler(store, 'read', repo => ({
      status: 200,
      body: json.repo(repo),
    })),
  );

  router.route(
    'PATCH',
    '/repos/:owner/:repo',
    repoHandler(store, 'write', (repo, { body }) => {
      if (typeof body.description === 'string')
        repo.description = body.description;
      if (typeof body.homepage === 'string') repo.homepage = body.homepage;
      if (typeof body.private === 'boolean') {
        repo.private = body.private;
        repo.visibility = body.private ? 'private' : 'public';
      }
      if (typeof body.visibility === 'string') {
        repo.visibility = body.visibility;
        repo.private = body.visibility !== 'public';
      }
      if (typeof body.default_branch === 'string') {
        // Only an existing branch can become the default.
        if (!store.branches(repo).includes(body.default_branch)) {
          return validationFailed(
            'Repository',
            'default_branch',
            'invalid',
            `default_branch ${body.default_branch} is not a branch of this repository`,
          );
        }
        repo.defaultBranch = body.default_branch;
        // Clones check out HEAD: it has to follow the default branch.
        store.setHead(repo, body.default_branch);
      }
      repo.updatedAt = new Date().toISOString();
      return { status: 200, body: json.repo(repo) };
    }),
    REPO_SCOPES,
  );

  router.route(
    'PUT',
    '/repos/:owner/:repo/topics',
    repoHandler(store, 'write', (repo, { body }) => {
      const names: unknown = body?.names;
      if (
        !Array.isArray(names) ||
        names.some(
          n => typeof n !== 'string' || !/^[a-z0-9][a-z0-9-]{0,49}$/.test(n),
        )
      ) {
        return validationFailed(
          'Repository',
          'topics',
          'invalid',
          'Topics must start with a lowercase letter or number, consist of 50 characters or less, and can include hyphens.',
        );
      }
      repo.topics = names as string[];
      return { status: 200, body: { names: repo.topics } };
    }),
    REPO_SCOPES,
  );
}
