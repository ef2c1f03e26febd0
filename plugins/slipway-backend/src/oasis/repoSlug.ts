/**
 * `owner/name` of a repository URL: its last two path segments, so GitHub,
 * GitHub Enterprise and local mirrors (file://…/owner/name) all match the
 * `repo` of GitHub events.
 */
export function repoSlug(repoUrl: string): string | undefined {
  let pathname: string;
  try {
    pathname = new URL(repoUrl).pathname;
  } catch {
    return undefined;
  }
  const parts = pathname
    .replace(/\.git\/?$/, '')
    .split('/')
    .filter(Boolean);
  return parts.length >= 2 ? parts.slice(-2).join('/') : undefined;
}
