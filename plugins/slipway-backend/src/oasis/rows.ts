import type { OasisEvent, OasisStatus } from '@slipway/plugin-slipway-common';

/** A row of `oasis_events` as the drivers return it. */
export interface OasisEventRow {
  id: number | string;
  created_at: Date | string | number;
  vtid: string;
  layer: string;
  module: string;
  source: string;
  kind: string;
  status: string;
  title: string;
  ref: string | null;
  link: string | null;
  repo: string | null;
  entity_ref: string | null;
  meta: string | Record<string, unknown> | null;
}

/**
 * Reads a timestamp column. PostgreSQL gives a Date; SQLite gives the epoch
 * milliseconds we wrote, or `YYYY-MM-DD HH:MM:SS` (UTC) for rows that took
 * the column default.
 */
export function toDate(value: Date | string | number): Date {
  if (value instanceof Date) {
    return value;
  }
  if (typeof value === 'number') {
    return new Date(value);
  }
  if (/^\d+$/.test(value)) {
    return new Date(Number(value));
  }
  if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$/.test(value)) {
    return new Date(`${value.replace(' ', 'T')}Z`);
  }
  return new Date(value);
}

function parseMeta(meta: OasisEventRow['meta']): Record<string, unknown> {
  if (!meta) {
    return {};
  }
  if (typeof meta === 'object') {
    return meta;
  }
  try {
    const parsed = JSON.parse(meta);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? parsed
      : {};
  } catch {
    return {};
  }
}

/** Converts a stored row to the API shape. */
export function rowToEvent(row: OasisEventRow): OasisEvent {
  return {
    id: String(row.id),
    createdAt: toDate(row.created_at).toISOString(),
    vtid: row.vtid,
    layer: row.layer,
    module: row.module,
    source: row.source,
    kind: row.kind,
    status: row.status as OasisStatus,
    title: row.title,
    ref: row.ref ?? null,
    link: row.link ?? null,
    repo: row.repo ?? null,
    entityRef: row.entity_ref ?? null,
    meta: parseMeta(row.meta),
  };
}
