import { githubError, notFound, requiresAuthentication } from '../errors';
import { RouteContext } from './context';

/** Users and organizations: the authenticated user, `/users/:user`, `/orgs/:org`. */
export function userRoutes({ router, store, json }: RouteContext): void {
  router.route('GET', '/user', ({ token, user }) => {
    if (!token) return requiresAuthentication();
    if (!user) {
      // An app installation token acts for no user.
      return githubError(403, 'Resource not accessible by integration', {
        documentationUrl:
          'https://docs.github.com/rest/users/users#get-the-authenticated-user',
      });
    }
    return { status: 200, body: json.account(user) };
  });

  router.route('GET', '/users/:user', ({ params }) => {
    const account = store.account(params.user);
    return account ? { status: 200, body: json.account(account) } : notFound();
  });

  router.route('GET', '/orgs/:org', ({ params }) => {
    const account = store.account(params.org);
    return account?.type === 'Organization'
      ? { status: 200, body: json.org(account) }
      : notFound();
  });
}
