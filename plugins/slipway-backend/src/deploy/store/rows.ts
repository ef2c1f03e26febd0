/*
 * Database rows to records and back, for every table of the deploy engine.
 * SQLite and PostgreSQL return timestamps, JSON and ids in different types,
 * so every read goes through the helpers here.
 */
import type { Page } from '@slipway/plugin-slipway-common';
import {
  AppInput,
  AppRecord,
  DeploymentConfigSnapshot,
  DeploymentFields,
  DeploymentLogLine,
  DeploymentRecord,
} from './records';

/** A timestamp as ISO 8601 in UTC, whatever type the driver returned. */
export function iso(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number') return new Date(value).toISOString();
  const text = String(value);
  // SQLite's CURRENT_TIMESTAMP has no zone; it is UTC.
  return /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(text)
    ? `${text.replace(' ', 'T')}Z`
    : new Date(text).toISOString();
}

/** `undefined` for SQL NULL, else the value, converted when asked. */
export function optional<T, R = T>(
  value: T | null | undefined,
  convert: (value: T) => R = v => v as unknown as R,
): R | undefined {
  return value === null || value === undefined ? undefined : convert(value);
}

/** A JSON column: text on SQLite, already parsed on PostgreSQL. */
export function json<T>(value: unknown, fallback: T): T {
  if (value === null || value === undefined || value === '') return fallback;
  return typeof value === 'string' ? (JSON.parse(value) as T) : (value as T);
}

/** The time to write into `created_at` / `updated_at` columns. */
export function now(): string {
  return new Date().toISOString();
}

/** An opaque page cursor holding the sort key of the last row. */
export function encodeCursor(parts: unknown[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

/**
 * The sort key in a cursor; `undefined` for none or for one that is not
 * ours, which then reads as the first page.
 */
export function decodeCursor(
  cursor: string | undefined,
): unknown[] | undefined {
  if (!cursor) return undefined;
  try {
    const parts = JSON.parse(Buffer.from(cursor, 'base64url').toString());
    return Array.isArray(parts) ? parts : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A page from rows queried with `limit + 1`: the extra row only tells that
 * there is more, and the cursor points at the last row handed out.
 */
export function toPage<T>(
  rows: any[],
  limit: number,
  toItem: (row: any) => T,
  sortKey: (row: any) => unknown[],
): Page<T> {
  return {
    items: rows.slice(0, limit).map(toItem),
    nextCursor:
      rows.length > limit ? encodeCursor(sortKey(rows[limit - 1])) : undefined,
  };
}

/** An `apps` row as a record. */
export function toAppRecord(row: any): AppRecord {
  return {
    name: row.name,
    repoUrl: row.repo_url,
    ref: optional(row.ref),
    contextPath: row.context_path ?? '.',
    dockerfilePath: row.dockerfile_path ?? 'Dockerfile',
    port: Number(row.port),
    env: json(row.env, {}),
    secretEnv: json(row.secret_env, {}),
    resources: json(row.resources, {}),
    healthCheck: json(row.health_check, undefined),
    entityRef: optional(row.entity_ref),
    autoDeploy: json(row.auto_deploy, undefined),
    currentDeploymentId: optional(row.current_deployment_id, String),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

/**
 * The `apps` columns of a new app or a patch. A field left out stays as it
 * is; an optional field present as `undefined` is cleared.
 */
export function appColumns(app: Partial<AppInput>): Record<string, unknown> {
  const columns: Record<string, unknown> = {};
  const set = (key: string, value: unknown) => {
    if (value !== undefined) columns[key] = value;
  };
  const clearable = (key: keyof AppInput, column: string, value: unknown) => {
    if (key in app) columns[column] = value ?? null;
  };
  set('repo_url', app.repoUrl);
  clearable('ref', 'ref', app.ref);
  set('context_path', app.contextPath);
  set('dockerfile_path', app.dockerfilePath);
  set('port', app.port);
  set('env', app.env && JSON.stringify(app.env));
  set('secret_env', app.secretEnv && JSON.stringify(app.secretEnv));
  set('resources', app.resources && JSON.stringify(app.resources));
  clearable(
    'healthCheck',
    'health_check',
    app.healthCheck && JSON.stringify(app.healthCheck),
  );
  clearable('entityRef', 'entity_ref', app.entityRef);
  clearable(
    'autoDeploy',
    'auto_deploy',
    app.autoDeploy && JSON.stringify(app.autoDeploy),
  );
  return columns;
}

/** The app's configuration as a deployment snapshot. */
export function snapshotOf(app: AppRecord): DeploymentConfigSnapshot {
  return {
    repoUrl: app.repoUrl,
    contextPath: app.contextPath,
    dockerfilePath: app.dockerfilePath,
    port: app.port,
    env: app.env,
    secretEnv: app.secretEnv,
    resources: app.resources,
    healthCheck: app.healthCheck,
  };
}

/** A `deployments` row as a record. */
export function toDeploymentRecord(row: any): DeploymentRecord {
  return {
    id: String(row.id),
    app: row.app,
    status: row.status,
    trigger: row.trigger,
    ref: optional(row.ref),
    commitSha: optional(row.commit_sha),
    imageTag: optional(row.image_tag),
    containerId: optional(row.container_id),
    url: optional(row.url),
    error: optional(row.error),
    rollbackOf: optional(row.rollback_of, String),
    config: json(row.config, {} as DeploymentConfigSnapshot),
    claimedBy: optional(row.claimed_by),
    claimCount: Number(row.claim_count ?? 0),
    heartbeatMs: optional(row.heartbeat_ms, Number),
    cancelRequested: Boolean(row.cancel_requested),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    startedAt: row.started_at ? iso(row.started_at) : undefined,
    finishedAt: row.finished_at ? iso(row.finished_at) : undefined,
  };
}

/** The `deployments` columns of the fields given; the others stay. */
export function deploymentColumns(
  fields: DeploymentFields,
): Record<string, unknown> {
  const columns: Record<string, unknown> = {};
  const set = (column: string, value: string | undefined) => {
    if (value !== undefined) columns[column] = value;
  };
  set('commit_sha', fields.commitSha);
  set('image_tag', fields.imageTag);
  set('container_id', fields.containerId);
  set('url', fields.url);
  set('error', fields.error);
  return columns;
}

/** A `deployment_logs` row as a log line. */
export function toLogLine(row: any): DeploymentLogLine {
  return {
    id: String(row.id),
    step: row.step,
    line: row.line,
    createdAt: iso(row.created_at),
  };
}
