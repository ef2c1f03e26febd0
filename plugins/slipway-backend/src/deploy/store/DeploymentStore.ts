import { NotFoundError } from '@backstage/errors';
import type { DeploymentStatus, Page } from '@slipway/plugin-slipway-common';
import { Knex } from 'knex';
import { requireApp } from './AppStore';
import {
  ACTIVE_STATUSES,
  AppRecord,
  DeploymentFields,
  DeploymentRecord,
  DeploymentRequest,
  TERMINAL_STATUSES,
} from './records';
import {
  decodeCursor,
  deploymentColumns,
  now,
  optional,
  snapshotOf,
  toDeploymentRecord,
  toPage,
} from './rows';

/** Any fixed number serves, as long as every instance uses the same one. */
const CLAIM_LOCK = 0x511b3a7;

/**
 * The `deployments` table and the worker's claims on it. Every state change
 * is a conditional update, so concurrent workers, cancels and recoveries
 * never overwrite each other.
 */
export class DeploymentStore {
  constructor(private readonly knex: Knex) {}

  private get isPostgres(): boolean {
    return String(this.knex.client.config.client).includes('pg');
  }

  /**
   * Inserts a pending deployment within the caller's transaction. Older
   * pending deployments of the app are superseded by it: only the newest
   * request matters.
   */
  async insertPending(
    tx: Knex.Transaction,
    app: AppRecord,
    request: DeploymentRequest,
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
        trigger: request.trigger,
        ref: request.ref ?? app.ref ?? null,
        commit_sha: request.commitSha ?? null,
        image_tag: request.imageTag ?? null,
        rollback_of: request.rollbackOf ?? null,
        dedup_key: request.dedupKey ?? null,
        config: JSON.stringify(request.config ?? snapshotOf(app)),
        created_at: at,
        updated_at: at,
      })
      .returning('id');
    const id = typeof inserted === 'object' ? inserted.id : inserted;
    return toDeploymentRecord(await tx('deployments').where({ id }).first());
  }

  /** Queues a deployment; returns it and the ones it superseded. */
  async queue(
    appName: string,
    request: DeploymentRequest,
  ): Promise<{ deployment: DeploymentRecord; superseded: DeploymentRecord[] }> {
    return this.knex.transaction(async tx => {
      const app = await requireApp(tx, appName);
      const pending = await tx('deployments')
        .where({ app: appName, status: 'pending' })
        .select('*');
      const deployment = await this.insertPending(tx, app, request);
      return {
        deployment,
        superseded: pending.map(p => ({
          ...toDeploymentRecord(p),
          status: 'superseded' as const,
        })),
      };
    });
  }

  /**
   * Up to `limit` deployments after `afterId` (in id order) whose config
   * snapshot holds secret env, with the snapshot as stored (the text
   * {@link DeploymentStore.replaceConfig} compares against).
   */
  async listWithSecretEnv(
    afterId: string,
    limit: number,
  ): Promise<Array<{ id: number | string; app: string; config: string }>> {
    const rows = await this.knex('deployments')
      .where('id', '>', afterId)
      .where('config', 'like', '%"secretEnv":{"%')
      .orderBy('id')
      .limit(limit)
      .select('id', 'app', 'config');
    return rows.map(r => ({ id: r.id, app: r.app, config: r.config }));
  }

  /**
   * Replaces a deployment's config snapshot only if it is still `stored`
   * (as read): a concurrent write is never lost. Returns 1 if it changed.
   */
  async replaceConfig(
    id: number | string,
    stored: string,
    config: Record<string, unknown>,
  ): Promise<number> {
    return this.knex('deployments')
      .where({ id, config: stored })
      .update({ config: JSON.stringify(config) });
  }

  /**
   * The deployment of the app queued with this dedup key (see
   * `DeploymentRequest.dedupKey`), if any. A queue that broke the key's
   * unique index left nothing behind; this tells the caller which
   * deployment holds the key.
   */
  async findByDedupKey(
    appName: string,
    dedupKey: string,
  ): Promise<DeploymentRecord | undefined> {
    const row = await this.knex('deployments')
      .where({ app: appName, dedup_key: dedupKey })
      .first();
    return row ? toDeploymentRecord(row) : undefined;
  }

  /** The deployment, or `undefined` for an unknown or malformed id. */
  async get(id: string): Promise<DeploymentRecord | undefined> {
    // Ids are bigint: anything else would be a database error, not a miss.
    if (!/^\d{1,18}$/.test(id)) return undefined;
    const row = await this.knex('deployments').where({ id }).first();
    return row ? toDeploymentRecord(row) : undefined;
  }

  /** The id of the app's newest deployment, whatever its status. */
  async latestIdOf(appName: string): Promise<string | undefined> {
    const row = await this.knex('deployments')
      .where('app', appName)
      .orderBy('id', 'desc')
      .first('id');
    return row ? String(row.id) : undefined;
  }

  /** The deployment; a `NotFoundError` otherwise. */
  async require(id: string): Promise<DeploymentRecord> {
    const deployment = await this.get(id);
    if (!deployment) {
      throw new NotFoundError(
        `No deployment with id "${id}"; list them with GET /apps/:name/deployments.`,
      );
    }
    return deployment;
  }

  /** Newest first. */
  async list(options: {
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
    return toPage(await query, options.limit, toDeploymentRecord, row => [
      String(row.id),
    ]);
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
        await tx.raw('select pg_advisory_xact_lock(?)', [CLAIM_LOCK]);
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
      return toDeploymentRecord(
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
    fields: DeploymentFields = {},
  ): Promise<boolean> {
    const at = now();
    const columns: Record<string, unknown> = {
      status: to,
      updated_at: at,
      ...deploymentColumns(fields),
    };
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
    fields: Pick<DeploymentFields, 'imageTag' | 'containerId' | 'url'>,
  ): Promise<void> {
    await this.knex('deployments')
      .where({ id })
      .update({ updated_at: now(), ...deploymentColumns(fields) });
  }

  /**
   * The switch in one transaction: the new deployment becomes `running` and
   * the app's current one; the previous one becomes `superseded`. Returns
   * the previous deployment, or `switched: false` when the new one was
   * cancelled first.
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
        previous = row ? toDeploymentRecord(row) : undefined;
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
      // Only if no newer deployment switched meanwhile.
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
    return this.require(id);
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
    return rows.map(toDeploymentRecord);
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
}
