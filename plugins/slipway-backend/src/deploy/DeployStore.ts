import { ConflictError, NotFoundError } from '@backstage/errors';
import type {
  Deployment,
  DeploymentStatus,
  HealthCheckSpec,
  Page,
  SlipwayApp,
} from '@slipway/plugin-slipway-common';
import { Knex } from 'knex';

/** Statuses of a deployment that a worker is working on. */
export const ACTIVE_STATUSES: DeploymentStatus[] = [
  'cloning',
  'building',
  'starting',
  'health_checking',
];

/** Statuses after which a deployment does not change any more. */
export const TERMINAL_STATUSES: DeploymentStatus[] = [
  'failed',
  'cancelled',
  'superseded',
];

/**
 * Whether a deployment once served traffic: it is running, or it was
 * replaced after running (a deployment superseded while still pending never
 * had a container). Only such a deployment is a rollback target.
 */
export function hasServed(deployment: Deployment): boolean {
  return (
    deployment.status === 'running' ||
    (deployment.status === 'superseded' && Boolean(deployment.containerId))
  );
}

/** What a deployment runs with; kept per deployment for rollbacks. */
export interface DeploymentConfigSnapshot {
  repoUrl: string;
  contextPath: string;
  dockerfilePath: string;
  port: number;
  env: Record<string, string>;
  secretEnv: Record<string, string>;
  resources: { memoryMb?: number; cpus?: number };
  healthCheck?: HealthCheckSpec;
}

/** An app as stored, secret values included (never sent to clients). */
export interface AppRecord {
  name: string;
  repoUrl: string;
  ref?: string;
  contextPath: string;
  dockerfilePath: string;
  port: number;
  env: Record<string, string>;
  secretEnv: Record<string, string>;
  resources: { memoryMb?: number; cpus?: number };
  healthCheck?: HealthCheckSpec;
  entityRef?: string;
  autoDeploy?: { branch: string; requireGreenCi?: boolean };
  currentDeploymentId?: string;
  createdAt: string;
  updatedAt: string;
}

/** A deployment as stored, with the worker's bookkeeping. */
export interface DeploymentRecord extends Deployment {
  trigger: string;
  config: DeploymentConfigSnapshot;
  claimedBy?: string;
  claimCount: number;
  heartbeatMs?: number;
  cancelRequested: boolean;
}

/** One stored log line of a deployment. */
export interface DeploymentLogLine {
  id: string;
  step: string;
  line: string;
  createdAt: string;
}

function iso(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number') return new Date(value).toISOString();
  const text = String(value);
  // SQLite's CURRENT_TIMESTAMP has no zone; it is UTC.
  return /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(text)
    ? `${text.replace(' ', 'T')}Z`
    : new Date(text).toISOString();
}

function optional<T>(value: T | null | undefined): T | undefined {
  return value === null || value === undefined ? undefined : value;
}

function json<T>(value: unknown, fallback: T): T {
  if (value === null || value === undefined || value === '') return fallback;
  return typeof value === 'string' ? (JSON.parse(value) as T) : (value as T);
}

function now(): string {
  return new Date().toISOString();
}

function encodeCursor(parts: unknown[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

function decodeCursor(cursor: string | undefined): unknown[] | undefined {
  if (!cursor) return undefined;
  try {
    const parts = JSON.parse(Buffer.from(cursor, 'base64url').toString());
    return Array.isArray(parts) ? parts : undefined;
  } catch {
    return undefined;
  }
}

/** Fields of a new or updated app. */
export type AppInput = Omit<
  AppRecord,
  'createdAt' | 'updatedAt' | 'currentDeploymentId'
>;

/**
 * Database access of the deploy engine: apps, deployments and their logs.
 * Every state change of a deployment is a conditional update, so concurrent
 * workers, cancels and recoveries never overwrite each other.
 */
export class DeployStore {
  constructor(private readonly knex: Knex) {}

  get isPostgres(): boolean {
    return String(this.knex.client.config.client).includes('pg');
  }

  // ---- apps -------------------------------------------------------------

  private toApp(row: any): AppRecord {
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
      currentDeploymentId:
        row.current_deployment_id === null ||
        row.current_deployment_id === undefined
          ? undefined
          : String(row.current_deployment_id),
      createdAt: iso(row.created_at),
      updatedAt: iso(row.updated_at),
    };
  }

  private appColumns(app: Partial<AppInput>) {
    const columns: Record<string, unknown> = {};
    const set = (key: string, value: unknown) => {
      if (value !== undefined) columns[key] = value;
    };
    set('repo_url', app.repoUrl);
    if ('ref' in app) columns.ref = app.ref ?? null;
    set('context_path', app.contextPath);
    set('dockerfile_path', app.dockerfilePath);
    set('port', app.port);
    set('env', app.env && JSON.stringify(app.env));
    set('secret_env', app.secretEnv && JSON.stringify(app.secretEnv));
    set('resources', app.resources && JSON.stringify(app.resources));
    if ('healthCheck' in app)
      columns.health_check = app.healthCheck
        ? JSON.stringify(app.healthCheck)
        : null;
    if ('entityRef' in app) columns.entity_ref = app.entityRef ?? null;
    if ('autoDeploy' in app)
      columns.auto_deploy = app.autoDeploy
        ? JSON.stringify(app.autoDeploy)
        : null;
    return columns;
  }

  async getApp(name: string): Promise<AppRecord | undefined> {
    const row = await this.knex('apps').where({ name }).first();
    return row ? this.toApp(row) : undefined;
  }

  async requireApp(name: string): Promise<AppRecord> {
    const app = await this.getApp(name);
    if (!app) {
      throw new NotFoundError(
        `No app named "${name}"; create it with POST /api/slipway/apps first.`,
      );
    }
    return app;
  }

  async listApps(options: {
    limit: number;
    cursor?: string;
  }): Promise<Page<AppRecord>> {
    const query = this.knex('apps')
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'name', order: 'desc' },
      ])
      .limit(options.limit + 1);
    const after = decodeCursor(options.cursor);
    if (after && after.length === 2) {
      const [createdAt, name] = after as [string, string];
      query.where(q =>
        q
          .where('created_at', '<', createdAt)
          .orWhere(q2 =>
            q2.where('created_at', '=', createdAt).andWhere('name', '<', name),
          ),
      );
    }
    const rows = await query;
    const items = rows.slice(0, options.limit).map(r => this.toApp(r));
    const last = rows.length > options.limit ? rows[options.limit - 1] : null;
    return {
      items,
      nextCursor: last ? encodeCursor([last.created_at, last.name]) : undefined,
    };
  }

  /** Name, repository and entity of every app (few columns, no secrets). */
  async listAppLinks(): Promise<
    Array<{ name: string; repoUrl: string; entityRef: string | null }>
  > {
    const rows = await this.knex('apps').select(
      'name',
      'repo_url',
      'entity_ref',
    );
    return rows.map(r => ({
      name: r.name,
      repoUrl: r.repo_url,
      entityRef: r.entity_ref ?? null,
    }));
  }

  async listAppsWithAutoDeploy(): Promise<AppRecord[]> {
    const rows = await this.knex('apps').whereNotNull('auto_deploy');
    return rows.map(r => this.toApp(r));
  }

  /**
   * Inserts the app and its first deployment in one transaction, so an app
   * never exists without the deployment its creation promised.
   */
  async createAppWithDeployment(
    app: AppInput,
    deployment: { ref?: string; trigger: string },
  ): Promise<{ app: AppRecord; deployment: DeploymentRecord }> {
    return this.knex.transaction(async tx => {
      const existing = await tx('apps').where({ name: app.name }).first();
      if (existing) {
        throw new ConflictError(
          `An app named "${app.name}" already exists; choose another name or PATCH /apps/${app.name}.`,
        );
      }
      const at = now();
      await tx('apps').insert({
        name: app.name,
        ...this.appColumns(app),
        created_at: at,
        updated_at: at,
      });
      const stored = this.toApp(
        await tx('apps').where({ name: app.name }).first(),
      );
      const created = await this.insertDeployment(tx, stored, deployment);
      return { app: stored, deployment: created };
    });
  }

  async updateApp(name: string, patch: Partial<AppInput>): Promise<AppRecord> {
    const columns = this.appColumns(patch);
    const count = await this.knex('apps')
      .where({ name })
      .update({ ...columns, updated_at: now() });
    if (!count) {
      throw new NotFoundError(`No app named "${name}" to update.`);
    }
    return this.requireApp(name);
  }

  async deleteApp(name: string): Promise<void> {
    await this.knex.transaction(async tx => {
      const ids = tx('deployments').where({ app: name }).select('id');
      await tx('deployment_logs').whereIn('deployment_id', ids).delete();
      await tx('deployments').where({ app: name }).delete();
      await tx('apps').where({ name }).delete();
    });
  }

  // ---- deployments ------------------------------------------------------

  private toDeployment(row: any): DeploymentRecord {
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
      rollbackOf:
        row.rollback_of === null || row.rollback_of === undefined
          ? undefined
          : String(row.rollback_of),
      config: json(row.config, {} as DeploymentConfigSnapshot),
      claimedBy: optional(row.claimed_by),
      claimCount: Number(row.claim_count ?? 0),
      heartbeatMs:
        row.heartbeat_ms === null || row.heartbeat_ms === undefined
          ? undefined
          : Number(row.heartbeat_ms),
      cancelRequested: Boolean(row.cancel_requested),
      createdAt: iso(row.created_at),
      updatedAt: iso(row.updated_at),
      startedAt: row.started_at ? iso(row.started_at) : undefined,
      finishedAt: row.finished_at ? iso(row.finished_at) : undefined,
    };
  }

  /** The app's configuration as a deployment snapshot. */
  static snapshotOf(app: AppRecord): DeploymentConfigSnapshot {
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

  /**
   * Queues a deployment. Older pending deployments of the app are
   * superseded in the same transaction: only the newest request matters.
   */
  private async insertDeployment(
    tx: Knex.Transaction,
    app: AppRecord,
    options: {
      ref?: string;
      trigger: string;
      imageTag?: string;
      commitSha?: string;
      rollbackOf?: string;
      config?: DeploymentConfigSnapshot;
    },
  ): Promise<DeploymentRecord> {
    const at = now();
    await tx('deployments').where({ app: app.name, status: 'pending' }).update({
      status: 'superseded',
      error: 'A newer deployment was queued before this one started.',
      updated_at: at,
      finished_at: at,
    });
    const [inserted] = await tx('deployments')
      .insert({
        app: app.name,
        status: 'pending',
        trigger: options.trigger,
        ref: options.ref ?? app.ref ?? null,
        commit_sha: options.commitSha ?? null,
        image_tag: options.imageTag ?? null,
        rollback_of: options.rollbackOf ?? null,
        config: JSON.stringify(options.config ?? DeployStore.snapshotOf(app)),
        created_at: at,
        updated_at: at,
      })
      .returning('id');
    const id = typeof inserted === 'object' ? inserted.id : inserted;
    return this.toDeployment(await tx('deployments').where({ id }).first());
  }

  /** Queues a deployment; returns it and the ids it superseded. */
  async queueDeployment(
    appName: string,
    options: {
      ref?: string;
      trigger: string;
      imageTag?: string;
      commitSha?: string;
      rollbackOf?: string;
      config?: DeploymentConfigSnapshot;
    },
  ): Promise<{ deployment: DeploymentRecord; superseded: DeploymentRecord[] }> {
    return this.knex.transaction(async tx => {
      const row = await tx('apps').where({ name: appName }).first();
      if (!row) {
        throw new NotFoundError(
          `No app named "${appName}"; create it with POST /api/slipway/apps first.`,
        );
      }
      const pending = await tx('deployments')
        .where({ app: appName, status: 'pending' })
        .select('*');
      const deployment = await this.insertDeployment(
        tx,
        this.toApp(row),
        options,
      );
      return {
        deployment,
        superseded: pending.map(p => ({
          ...this.toDeployment(p),
          status: 'superseded' as const,
        })),
      };
    });
  }

  async getDeployment(id: string): Promise<DeploymentRecord | undefined> {
    if (!/^\d{1,18}$/.test(id)) return undefined;
    const row = await this.knex('deployments').where({ id }).first();
    return row ? this.toDeployment(row) : undefined;
  }

  async requireDeployment(id: string): Promise<DeploymentRecord> {
    const deployment = await this.getDeployment(id);
    if (!deployment) {
      throw new NotFoundError(
        `No deployment with id "${id}"; list them with GET /apps/:name/deployments.`,
      );
    }
    return deployment;
  }

  async listDeployments(options: {
    app?: string;
    statuses?: DeploymentStatus[];
    limit: number;
    cursor?: string;
  }): Promise<Page<DeploymentRecord>> {
    const query = this.knex('deployments')
      .orderBy('id', 'desc')
      .limit(options.limit + 1);
    if (options.app) query.where({ app: options.app });
    if (options.statuses) query.whereIn('status', options.statuses);
    const after = decodeCursor(options.cursor);
    if (after && after.length === 1) query.where('id', '<', String(after[0]));
    const rows = await query;
    const items = rows.slice(0, options.limit).map(r => this.toDeployment(r));
    return {
      items,
      nextCursor:
        rows.length > options.limit
          ? encodeCursor([String(rows[options.limit - 1].id)])
          : undefined,
    };
  }

  /**
   * Atomically claims the oldest pending deployment whose app has no active
   * deployment, when fewer than `maxActive` deployments are active overall.
   * On PostgreSQL a transaction-scoped advisory lock serializes claims of all
   * instances, which makes the global limit exact; SQLite has a single writer.
   */
  async claimNext(
    instanceId: string,
    maxActive: number,
  ): Promise<DeploymentRecord | undefined> {
    return this.knex.transaction(async tx => {
      if (this.isPostgres) {
        await tx.raw('select pg_advisory_xact_lock(?)', [0x511b3a7]);
      }
      const [{ count }] = await tx('deployments')
        .whereIn('status', ACTIVE_STATUSES)
        .count({ count: '*' });
      if (Number(count) >= maxActive) return undefined;
      const candidate = await tx('deployments as d')
        .where('d.status', 'pending')
        .whereNotExists(
          tx('deployments as a')
            .whereRaw('a.app = d.app')
            .whereIn('a.status', ACTIVE_STATUSES)
            .select(tx.raw('1')),
        )
        .orderBy('d.id', 'asc')
        .first('d.id');
      if (!candidate) return undefined;
      const at = now();
      const updated = await tx('deployments')
        .where({ id: candidate.id, status: 'pending' })
        .update({
          status: 'cloning',
          claimed_by: instanceId,
          claim_count: tx.raw('claim_count + 1'),
          heartbeat_ms: Date.now(),
          started_at: at,
          updated_at: at,
        });
      if (!updated) return undefined;
      return this.toDeployment(
        await tx('deployments').where({ id: candidate.id }).first(),
      );
    });
  }

  /**
   * Moves an unfinished deployment to a new status. Returns false when it is
   * no longer in one of `from` (cancelled or recovered meanwhile).
   */
  async transition(
    id: string,
    from: DeploymentStatus[],
    to: DeploymentStatus,
    fields: Partial<{
      commitSha: string;
      imageTag: string;
      containerId: string;
      url: string;
      error: string;
    }> = {},
  ): Promise<boolean> {
    const at = now();
    const columns: Record<string, unknown> = { status: to, updated_at: at };
    if (fields.commitSha !== undefined) columns.commit_sha = fields.commitSha;
    if (fields.imageTag !== undefined) columns.image_tag = fields.imageTag;
    if (fields.containerId !== undefined)
      columns.container_id = fields.containerId;
    if (fields.url !== undefined) columns.url = fields.url;
    if (fields.error !== undefined) columns.error = fields.error;
    if (TERMINAL_STATUSES.includes(to) || to === 'running') {
      columns.finished_at = at;
    }
    const count = await this.knex('deployments')
      .where({ id })
      .whereIn('status', from)
      .update(columns);
    return count > 0;
  }

  /** Records fields without changing the status (e.g. the container id). */
  async setFields(
    id: string,
    fields: Partial<{ imageTag: string; containerId: string; url: string }>,
  ): Promise<void> {
    const columns: Record<string, unknown> = { updated_at: now() };
    if (fields.imageTag !== undefined) columns.image_tag = fields.imageTag;
    if (fields.containerId !== undefined)
      columns.container_id = fields.containerId;
    if (fields.url !== undefined) columns.url = fields.url;
    await this.knex('deployments').where({ id }).update(columns);
  }

  /**
   * The switch in one transaction: the new deployment becomes `running` and
   * the app's current one; the previous one becomes `superseded`. Returns
   * the previous deployment, or false when the new one was cancelled first.
   */
  async switchTo(
    appName: string,
    deploymentId: string,
  ): Promise<{ switched: boolean; previous?: DeploymentRecord }> {
    return this.knex.transaction(async tx => {
      const at = now();
      const count = await tx('deployments')
        .where({ id: deploymentId, status: 'health_checking' })
        .update({ status: 'running', updated_at: at, finished_at: at });
      if (!count) return { switched: false };
      const app = await tx('apps').where({ name: appName }).first();
      const previousId = app?.current_deployment_id;
      await tx('apps')
        .where({ name: appName })
        .update({ current_deployment_id: deploymentId, updated_at: at });
      let previous: DeploymentRecord | undefined;
      if (previousId !== null && previousId !== undefined) {
        await tx('deployments')
          .where({ id: previousId, status: 'running' })
          .update({ status: 'superseded', updated_at: at });
        const row = await tx('deployments').where({ id: previousId }).first();
        previous = row ? this.toDeployment(row) : undefined;
      }
      return { switched: true, previous };
    });
  }

  /**
   * Undoes a switch whose new container turned out unhealthy in Docker
   * before the old one was stopped: the previous deployment serves again.
   */
  async revertSwitch(
    appName: string,
    failedId: string,
    previousId: string,
    error: string,
  ): Promise<boolean> {
    return this.knex.transaction(async tx => {
      const at = now();
      const count = await tx('deployments')
        .where({ id: failedId, status: 'running' })
        .update({ status: 'failed', error, updated_at: at, finished_at: at });
      if (!count) return false;
      await tx('deployments')
        .where({ id: previousId, status: 'superseded' })
        .update({ status: 'running', updated_at: at });
      await tx('apps')
        .where({ name: appName, current_deployment_id: failedId })
        .update({ current_deployment_id: previousId, updated_at: at });
      return true;
    });
  }

  /** Marks a cancel request; pending deployments are cancelled at once. */
  async requestCancel(id: string): Promise<DeploymentRecord> {
    const at = now();
    await this.knex('deployments').where({ id, status: 'pending' }).update({
      status: 'cancelled',
      cancel_requested: true,
      error: 'Cancelled before it started.',
      updated_at: at,
      finished_at: at,
    });
    await this.knex('deployments')
      .where({ id })
      .whereIn('status', ACTIVE_STATUSES)
      .update({ cancel_requested: true, updated_at: at });
    return this.requireDeployment(id);
  }

  /** Keeps the claim of a deployment alive; returns those cancel-requested. */
  async heartbeat(ids: string[]): Promise<string[]> {
    if (!ids.length) return [];
    await this.knex('deployments')
      .whereIn('id', ids)
      .whereIn('status', ACTIVE_STATUSES)
      .update({ heartbeat_ms: Date.now() });
    const rows = await this.knex('deployments')
      .whereIn('id', ids)
      .where({ cancel_requested: true })
      .select('id');
    return rows.map(r => String(r.id));
  }

  /** The deployments serving now, with their container and published URL. */
  async listServing(): Promise<
    Array<{ id: string; app: string; containerId?: string; url?: string }>
  > {
    const rows = await this.knex('deployments')
      .where({ status: 'running' })
      .select('id', 'app', 'container_id', 'url');
    return rows.map(r => ({
      id: String(r.id),
      app: r.app,
      containerId: optional(r.container_id),
      url: optional(r.url),
    }));
  }

  /** Active deployments whose worker stopped sending heartbeats. */
  async findAbandoned(staleAfterMs: number): Promise<DeploymentRecord[]> {
    const rows = await this.knex('deployments')
      .whereIn('status', ACTIVE_STATUSES)
      .where(q =>
        q
          .whereNull('heartbeat_ms')
          .orWhere('heartbeat_ms', '<', Date.now() - staleAfterMs),
      );
    return rows.map(r => this.toDeployment(r));
  }

  /**
   * Image tags that pruning must leave: those a pending, active or running
   * deployment needs, and the newest `keep` distinct images that served (the
   * rollback targets). An image still being built or health-checked does
   * not count towards `keep`, so a build that is about to fail never pushes
   * a good image out.
   */
  async imageTagsToKeep(appName: string, keep: number): Promise<Set<string>> {
    const needed = await this.knex('deployments')
      .where({ app: appName })
      .whereIn('status', ['pending', ...ACTIVE_STATUSES, 'running'])
      .whereNotNull('image_tag')
      .select('image_tag');
    const served =
      keep > 0
        ? await this.knex('deployments')
            .where({ app: appName })
            .whereNotNull('image_tag')
            .where(q =>
              q
                .where('status', 'running')
                .orWhere(s =>
                  s.where('status', 'superseded').whereNotNull('container_id'),
                ),
            )
            .groupBy('image_tag')
            .select('image_tag')
            .max({ last: 'id' })
            .orderBy('last', 'desc')
            .limit(keep)
        : [];
    return new Set([...needed, ...served].map(r => String(r.image_tag)));
  }

  // ---- logs -------------------------------------------------------------

  async appendLogs(
    deploymentId: string,
    lines: { step: string; line: string }[],
  ): Promise<void> {
    if (!lines.length) return;
    const at = now();
    // Small batches keep each insert under SQLite's variable limit.
    for (let i = 0; i < lines.length; i += 100) {
      await this.knex('deployment_logs').insert(
        lines.slice(i, i + 100).map(l => ({
          deployment_id: deploymentId,
          step: l.step,
          line: l.line,
          created_at: at,
        })),
      );
    }
  }

  async readLogs(
    deploymentId: string,
    options: { afterId?: string; limit: number },
  ): Promise<DeploymentLogLine[]> {
    const query = this.knex('deployment_logs')
      .where({ deployment_id: deploymentId })
      .orderBy('id', 'asc')
      .limit(options.limit);
    if (options.afterId) query.where('id', '>', options.afterId);
    const rows = await query;
    return rows.map(r => ({
      id: String(r.id),
      step: r.step,
      line: r.line,
      createdAt: iso(r.created_at),
    }));
  }
}

/** The public shape of an app: secret values replaced by their names. */
export function toPublicApp(
  app: AppRecord,
  current?: DeploymentRecord,
): SlipwayApp {
  return {
    name: app.name,
    repoUrl: app.repoUrl,
    ref: app.ref,
    contextPath: app.contextPath,
    dockerfilePath: app.dockerfilePath,
    port: app.port,
    env: app.env,
    secretEnvKeys: Object.keys(app.secretEnv).sort(),
    resources: app.resources,
    healthCheck: app.healthCheck,
    entityRef: app.entityRef,
    autoDeploy: app.autoDeploy,
    createdAt: app.createdAt,
    updatedAt: app.updatedAt,
    currentDeployment: current ? toPublicDeployment(current) : undefined,
    url: current?.url,
  };
}

/** The public shape of a deployment: no configuration snapshot, no secrets. */
export function toPublicDeployment(deployment: DeploymentRecord): Deployment {
  const {
    config: _config,
    claimedBy: _claimedBy,
    claimCount: _claimCount,
    heartbeatMs: _heartbeat,
    cancelRequested: _cancel,
    trigger: _trigger,
    ...rest
  } = deployment;
  return rest;
}
