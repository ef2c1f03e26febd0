import { httpUrl, OasisStatus } from '@slipway/plugin-slipway-common';

/** A GitHub payload or one of its objects, as parsed JSON. */
export type Json = Record<string, any>;

/**
 * Maps a GitHub run or check state to an OASIS status:
 * queued → in_progress → success / failure / cancelled / skipped.
 */
export function githubRunStatus(
  status: string | null | undefined,
  conclusion: string | null | undefined,
): OasisStatus {
  if (status === 'completed' || (!status && conclusion)) {
    switch (conclusion) {
      case 'success':
        return 'success';
      case 'failure':
      case 'timed_out':
      case 'startup_failure':
      case 'action_required':
        return 'failure';
      case 'cancelled':
        return 'cancelled';
      case 'skipped':
      case 'neutral':
      case 'stale':
        return 'skipped';
      default:
        return 'info';
    }
  }
  if (status === 'in_progress') {
    return 'in_progress';
  }
  return 'queued';
}

export function title(module: string, action: string | undefined): string {
  const suffix = (action ?? 'event').toUpperCase().replace(/[^A-Z0-9]+/g, '_');
  return `CICDL-${module}-${suffix}`;
}

export function branchOf(ref: string | null | undefined): string | null {
  if (!ref) {
    return null;
  }
  return ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : ref;
}

export function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/**
 * A link from a payload, kept only when it is an http(s) URL: a hostile
 * payload's `html_url: "javascript:..."` is dropped, not stored.
 */
export function link(value: unknown): string | null {
  return typeof value === 'string' && httpUrl(value) ? value : null;
}

export function objectOf(value: unknown): Json | null {
  return value && typeof value === 'object' ? (value as Json) : null;
}
