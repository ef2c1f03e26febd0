import {
  AuthenticationError,
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';

interface GithubResponseLike {
  status?: number;
  response?: {
    headers?: Record<string, string | number | undefined>;
    data?: any;
  };
  message?: string;
}

/** The HTTP status of an Octokit error, if it is one. */
export function githubStatus(error: unknown): number | undefined {
  const status = (error as GithubResponseLike)?.status;
  return typeof status === 'number' ? status : undefined;
}

/**
 * Turns an Octokit error into a Backstage error whose message says what
 * went wrong and what to do: a token that lacks a scope (GitHub answers 404
 * or 403 and lists the scopes it accepts), a rate limit (with the time it
 * resets), a rejected token, an App token used where only a user token
 * works, a validation failure. `action` completes "while trying to …".
 */
export function describeGithubError(
  error: unknown,
  action: string,
  host: string,
): Error {
  const status = githubStatus(error);
  if (status === undefined) {
    return error instanceof Error ? error : new Error(String(error));
  }
  const answer = readAnswer(error as GithubResponseLike, status);
  return (
    rateLimitError(answer, action, host) ??
    missingScopeError(answer, action, host) ??
    statusError(answer, action, host)
  );
}

/** What GitHub answered: status, headers, its message and error details. */
interface GithubAnswer {
  status: number;
  header(name: string): string | undefined;
  message: string;
  details: string;
}

function readAnswer(e: GithubResponseLike, status: number): GithubAnswer {
  const headers = e.response?.headers ?? {};
  const data = e.response?.data ?? {};
  return {
    status,
    header: name => {
      const value = headers[name];
      return value === undefined ? undefined : String(value);
    },
    message:
      typeof data === 'object' && data && typeof data.message === 'string'
        ? data.message
        : String(e.message ?? ''),
    details: Array.isArray(data?.errors)
      ? data.errors
          .map((item: any) =>
            typeof item === 'string' ? item : item?.message ?? item?.code,
          )
          .filter(Boolean)
          .join('; ')
      : '',
  };
}

/**
 * Rate limits: the primary limit (remaining 0, reset epoch) and the
 * secondary limit (Retry-After).
 */
function rateLimitError(
  { status, header, message }: GithubAnswer,
  action: string,
  host: string,
): Error | undefined {
  const retryAfter = header('retry-after');
  const remaining = header('x-ratelimit-remaining');
  if (
    !(status === 403 || status === 429) ||
    !(remaining === '0' || retryAfter || /rate limit/i.test(message))
  ) {
    return undefined;
  }
  let when: Date | undefined;
  if (retryAfter && /^\d+$/.test(retryAfter)) {
    when = new Date(Date.now() + Number(retryAfter) * 1000);
  } else if (header('x-ratelimit-reset')) {
    when = new Date(Number(header('x-ratelimit-reset')) * 1000);
  }
  const seconds = when
    ? Math.max(0, Math.ceil((when.getTime() - Date.now()) / 1000))
    : undefined;
  return new ServiceUnavailableError(
    `GitHub rate limit exceeded on ${host} while trying to ${action}${
      when
        ? `; retry after ${when.toISOString()} (in ${seconds} s)`
        : '; retry later'
    }. GitHub said: ${message}`,
  );
}

/** A classic token without the needed scope: GitHub lists what it accepts. */
function missingScopeError(
  { status, header }: GithubAnswer,
  action: string,
  host: string,
): Error | undefined {
  const accepted = splitScopes(header('x-accepted-oauth-scopes'));
  const granted = header('x-oauth-scopes');
  if (
    !(status === 403 || status === 404) ||
    accepted.length === 0 ||
    granted === undefined
  ) {
    return undefined;
  }
  const has = splitScopes(granted);
  if (accepted.some(scope => has.includes(scope))) {
    return undefined;
  }
  return new NotAllowedError(
    `The GitHub token for ${host} lacks the scope needed to ${action}: it has [${
      has.join(', ') || 'no scopes'
    }], GitHub accepts one of [${accepted.join(
      ', ',
    )}]. Grant one of these scopes to the token configured in integrations.github (or passed as token).`,
  );
}

/** Every other answer, by its status. */
function statusError(
  { status, message, details }: GithubAnswer,
  action: string,
  host: string,
): Error {
  if (status === 401) {
    return new AuthenticationError(
      `GitHub rejected the token for ${host} (${message}) while trying to ${action}. Update the token in integrations.github for ${host}; it may be expired or revoked.`,
    );
  }
  if (status === 403 && /not accessible by integration/i.test(message)) {
    return new NotAllowedError(
      `The GitHub App token for ${host} may not ${action} (${message}). Grant the App the needed permission and install it on the owner, or configure a personal access token in integrations.github.`,
    );
  }
  if (status === 403) {
    return new NotAllowedError(
      `GitHub refused to ${action} on ${host}: ${message}. Check that the token's user or App has admin access to the owner.`,
    );
  }
  if (status === 404) {
    return new NotFoundError(
      `GitHub answered 404 Not Found while trying to ${action} on ${host}: it does not exist, or the token cannot see it (GitHub hides what a token may not read). Check the name and the token's access.`,
    );
  }
  if (status === 422) {
    const text = details ? `${message} (${details})` : message;
    if (/already exists/i.test(text)) {
      return new ConflictError(`Could not ${action} on ${host}: ${text}.`);
    }
    return new InputError(
      `GitHub rejected the request to ${action} on ${host}: ${text}. Fix the input named there.`,
    );
  }
  return new Error(
    `GitHub answered ${status} while trying to ${action} on ${host}: ${message}`,
  );
}

function splitScopes(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map(scope => scope.trim())
    .filter(Boolean);
}

/** Runs a GitHub call; failures come back described by {@link describeGithubError}. */
export async function githubCall<T>(
  action: string,
  host: string,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw describeGithubError(error, action, host);
  }
}
