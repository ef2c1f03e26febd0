import { InputError } from '@backstage/errors';

const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
const REPO = /^[A-Za-z0-9._-]{1,100}$/;

/**
 * Validates an owner (user or organization login) and a repository name
 * with GitHub's rules, before any call is made.
 */
export function validateRepoName(owner: string, repo: string): void {
  if (!OWNER.test(owner)) {
    throw new InputError(
      `"${owner.slice(
        0,
        60,
      )}" is not a valid GitHub owner: use 1 to 39 letters, digits or single hyphens, not starting or ending with a hyphen.`,
    );
  }
  if (!REPO.test(repo) || repo === '.' || repo === '..') {
    throw new InputError(
      `"${repo.slice(
        0,
        120,
      )}" is not a valid GitHub repository name: use 1 to 100 letters, digits, ".", "-" or "_" (and not "." or "..").`,
    );
  }
  if (repo.toLowerCase().endsWith('.git')) {
    throw new InputError(
      `"${repo}" is not a valid GitHub repository name: it must not end with ".git". Use "${repo.slice(
        0,
        -4,
      )}".`,
    );
  }
}
