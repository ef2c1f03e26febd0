import { ApiResult } from './types';

/** Where GitHub's error bodies point when no page is more precise. */
export const DOCS = 'https://docs.github.com/rest';

/**
 * An error as GitHub's REST API answers it: `message`, `errors` for
 * validation failures, `documentation_url`, and the status again as a
 * string (clients such as Octokit read each of them).
 */
export function githubError(
  status: number,
  message: string,
  extra: { documentationUrl?: string; errors?: object[] } = {},
): ApiResult {
  return {
    status,
    body: {
      message,
      ...(extra.errors ? { errors: extra.errors } : {}),
      documentation_url: extra.documentationUrl ?? DOCS,
      status: String(status),
    },
  };
}

/**
 * GitHub also answers 404 for what exists but the caller may not see, so
 * that a missing permission does not reveal a private repository.
 */
export function notFound(): ApiResult {
  return githubError(404, 'Not Found');
}

export function requiresAuthentication(): ApiResult {
  return githubError(401, 'Requires authentication');
}

export function validationFailed(
  resource: string,
  field: string | undefined,
  code: string,
  message: string,
): ApiResult {
  return githubError(422, 'Validation Failed', {
    errors: [{ resource, code, ...(field ? { field } : {}), message }],
  });
}
