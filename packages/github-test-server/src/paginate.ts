import { GithubSite } from './json';
import { ApiCall, ApiResult } from './types';

/**
 * One page of a list as GitHub pages it: `per_page` (30, at most 100) and
 * `page` in the query, the other pages in a `Link` header, which clients
 * such as Octokit follow.
 */
export function paginate(
  site: GithubSite,
  call: ApiCall,
  routePath: string,
  items: unknown[],
): ApiResult {
  const perPage = Math.min(
    100,
    Math.max(1, Number(call.query.get('per_page') ?? 30)),
  );
  const page = Math.max(1, Number(call.query.get('page') ?? 1));
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const headers: Record<string, string> = {};
  const resolved = routePath.replace(
    /:([a-z_]+)/gi,
    (_, key) => call.params[key],
  );
  const link = (p: number, rel: string) =>
    `<${site.apiBaseUrl}${resolved}?per_page=${perPage}&page=${p}>; rel="${rel}"`;
  const links: string[] = [];
  if (page < last) links.push(link(page + 1, 'next'), link(last, 'last'));
  if (page > 1) links.push(link(1, 'first'), link(page - 1, 'prev'));
  if (links.length) headers.link = links.join(', ');
  return {
    status: 200,
    headers,
    body: items.slice((page - 1) * perPage, page * perPage),
  };
}
