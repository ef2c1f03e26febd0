import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { repoHandler } from '../access';
import { DOCS, githubError, notFound } from '../errors';
import { RouteContext } from './context';

/**
 * File contents, as the catalog's GitHub URL reader fetches them: raw with
 * `Accept: application/vnd.github.v3.raw`, else the JSON document.
 */
export function contentRoutes({ router, store, site }: RouteContext): void {
  router.route(
    'GET',
    '/repos/:owner/:repo/contents/:path*',
    repoHandler(store, 'read', (repo, call) => {
      if (store.branches(repo).length === 0) {
        return githubError(404, 'This repository is empty.', {
          documentationUrl: `${DOCS}/repos/contents#get-repository-content`,
        });
      }
      const ref = call.query.get('ref') ?? repo.defaultBranch;
      const filePath = call.params.path.replace(/^\/+/, '');
      // The ref and path reach git's argv: no options, no way out.
      if (
        !/^[\w./-]+$/.test(ref) ||
        ref.startsWith('-') ||
        filePath.split('/').includes('..')
      ) {
        return notFound();
      }
      let content: Buffer;
      let sha: string;
      try {
        const gitDir = store.repoPath(repo.owner, repo.name);
        sha = execFileSync(
          'git',
          ['--git-dir', gitDir, 'rev-parse', `${ref}:${filePath}`],
          { stdio: 'pipe' },
        )
          .toString()
          .trim();
        content = execFileSync(
          'git',
          ['--git-dir', gitDir, 'cat-file', 'blob', sha],
          { stdio: 'pipe' },
        );
      } catch {
        return notFound();
      }
      const accept = String(call.req.headers.accept ?? '');
      if (accept.includes('raw')) {
        return {
          status: 200,
          raw: content,
          headers: {
            'content-type': 'application/vnd.github.v3.raw',
            etag: `"${sha}"`,
          },
        };
      }
      const html = `${site.baseUrl}/${repo.owner}/${repo.name}/blob/${ref}/${filePath}`;
      return {
        status: 200,
        headers: { etag: `"${sha}"` },
        body: {
          type: 'file',
          encoding: 'base64',
          size: content.length,
          name: path.posix.basename(filePath),
          path: filePath,
          content: content.toString('base64'),
          sha,
          url: `${site.apiBaseUrl}/repos/${repo.owner}/${repo.name}/contents/${filePath}?ref=${ref}`,
          html_url: html,
          download_url: `${site.baseUrl}/raw/${repo.owner}/${repo.name}/${ref}/${filePath}`,
        },
      };
    }),
  );
}
