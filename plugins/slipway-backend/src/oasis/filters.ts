import { InputError } from '@backstage/errors';
import {
  OASIS_STATUSES,
  OasisEvent,
  OasisEventFilter,
  OasisStatus,
} from '@slipway/plugin-slipway-common';
import { Knex } from 'knex';

/** A validated filter: `since` is parsed once. */
export interface EventFilter {
  vtid?: string;
  source?: string;
  kind?: string;
  status?: OasisStatus;
  entityRef?: string;
  repo?: string;
  ref?: string;
  since?: Date;
}

const STRING_KEYS = [
  'vtid',
  'source',
  'kind',
  'entityRef',
  'repo',
  'ref',
] as const;

/**
 * Validates the filter query parameters shared by `GET /events`,
 * `GET /events/stream` and `GET /events/stats`.
 */
export function parseEventFilter(
  query: Record<string, unknown> | OasisEventFilter,
): EventFilter {
  const filter: EventFilter = {};
  const q = query as Record<string, unknown>;
  for (const key of STRING_KEYS) {
    const value = q[key];
    if (value === undefined || value === '') {
      continue;
    }
    if (typeof value !== 'string' || value.length > 1000) {
      throw new InputError(
        `Invalid filter ${key}: pass it once, as a string of at most 1000 characters`,
      );
    }
    filter[key] = value;
  }
  if (q.status !== undefined && q.status !== '') {
    if (!OASIS_STATUSES.includes(q.status as OasisStatus)) {
      throw new InputError(
        `Invalid filter status '${String(
          q.status,
        )}': use one of ${OASIS_STATUSES.join(', ')}`,
      );
    }
    filter.status = q.status as OasisStatus;
  }
  if (q.since !== undefined && q.since !== '') {
    const since =
      typeof q.since === 'string' ? new Date(q.since) : new Date(NaN);
    if (Number.isNaN(since.getTime())) {
      throw new InputError(
        `Invalid filter since '${String(
          q.since,
        )}': use an ISO 8601 timestamp such as 2026-11-24T08:00:00Z`,
      );
    }
    filter.since = since;
  }
  return filter;
}

const COLUMNS: Record<(typeof STRING_KEYS)[number] | 'status', string> = {
  vtid: 'vtid',
  source: 'source',
  kind: 'kind',
  status: 'status',
  entityRef: 'entity_ref',
  repo: 'repo',
  ref: 'ref',
};

/** Narrows a query of `oasis_events` by the filter. */
export function applyEventFilter(
  query: Knex.QueryBuilder,
  filter: EventFilter,
): Knex.QueryBuilder {
  for (const [key, column] of Object.entries(COLUMNS)) {
    const value = filter[key as keyof typeof COLUMNS];
    if (value !== undefined) {
      query.where(column, value);
    }
  }
  if (filter.since) {
    query.where('created_at', '>=', filter.since);
  }
  return query;
}

/** The same filter in memory, for events fanned out to live streams. */
export function matchesEventFilter(
  event: OasisEvent,
  filter: EventFilter,
): boolean {
  return (
    (filter.vtid === undefined || event.vtid === filter.vtid) &&
    (filter.source === undefined || event.source === filter.source) &&
    (filter.kind === undefined || event.kind === filter.kind) &&
    (filter.status === undefined || event.status === filter.status) &&
    (filter.entityRef === undefined || event.entityRef === filter.entityRef) &&
    (filter.repo === undefined || event.repo === filter.repo) &&
    (filter.ref === undefined || event.ref === filter.ref) &&
    (filter.since === undefined ||
      Date.parse(event.createdAt) >= filter.since.getTime())
  );
}
