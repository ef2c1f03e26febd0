const units: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];

const relativeFormat = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

/** "3 minutes ago", "yesterday", "now". */
export function formatRelative(
  iso: string | null | undefined,
  now = Date.now(),
): string {
  if (!iso) return '';
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return '';
  const seconds = Math.round((time - now) / 1000);
  if (Math.abs(seconds) < 5) return 'now';
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size || unit === 'second') {
      return relativeFormat.format(Math.round(seconds / size), unit);
    }
  }
  return '';
}

/** "1h 2m", "3m 04s", "12s"; empty when either end is missing. */
export function formatDuration(
  startIso: string | null | undefined,
  endIso: string | null | undefined,
): string {
  if (!startIso || !endIso) return '';
  const ms = Date.parse(endIso) - Date.parse(startIso);
  if (Number.isNaN(ms) || ms < 0) return '';
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${String(s).padStart(2, '0')}s`;
  return `${s}s`;
}

export function shortSha(sha: string | null | undefined): string {
  return sha ? sha.slice(0, 7) : '';
}

/**
 * What went wrong, for a person. A failed request's `ResponseError` says only
 * "Request failed with 404 Not Found"; the backend's own message, which says
 * what was wrong and what to do, is its cause.
 */
export function describeError(error: Error): string {
  const cause = (error as { cause?: { message?: unknown } }).cause;
  if (
    error.name === 'ResponseError' &&
    typeof cause?.message === 'string' &&
    cause.message !== ''
  ) {
    return `${cause.message} (${error.message})`;
  }
  return error.message;
}
