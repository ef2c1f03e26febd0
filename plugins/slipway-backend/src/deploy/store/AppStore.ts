import { ConflictError, NotFoundError } from '@backstage/errors';
import type { Page } from '@slipway/plugin-slipway-common';
import { Knex } from 'knex';
import type { SecretBox } from '../secrets/SecretBox';
import type { DeploymentStore } from './DeploymentStore';
import { AppInput, AppRecord, DeploymentRecord } from './records';
import { appColumns, decodeCursor, now, toAppRecord, toPage } from './rows';

async function findApp(db: Knex, name: string): Promise<AppRecord | undefined> {
  const row = await db('apps').where({ name }).first();
  return row ? toAppRecord(row) : undefined;
}

/**
 * The app named `name`, read through `db`: the store's connection or a
 * transaction that must see the app it is about to depend on.
 */
export async function requireApp(db: Knex, name: string): Promise<AppRecord> {
  const app = await findApp(db, name);
  if (!app) {
    throw new NotFoundError(
      `No app named "${name}"; create it with POST /api/slipway/apps first.`,
    );
  }
  return app;
}

/** What an update did beyond the patch itself. */
export interface AppUpdate {
  app: AppRecord;
  /** Set when the patch changed `repoUrl`. */
  previousRepoUrl?: string;
  /** Secret env names dropped because `repoUrl` changed without them. */
  droppedSecretEnvKeys: string[];
}

/**
 * The `apps` table: what is deployed, and from where. Secret env values are
 * sealed (encrypted) before they are written; records hold them sealed.
 */
export class AppStore {
  constructor(
    private readonly knex: Knex,
    private readonly deployments: DeploymentStore,
    private readonly secrets: SecretBox,
  ) {}

  /** The columns of an input, its secret env sealed. */
  private columns(name: string, input: Partial<AppInput>) {
    return appColumns(
      input.secretEnv
        ? { ...input, secretEnv: this.secrets.sealEnv(name, input.secretEnv) }
        : input,
    );
  }

  /** The app, or `undefined` when there is none of that name. */
  async get(name: string): Promise<AppRecord | undefined> {
    return findApp(this.knex, name);
  }

  /** The app; a `NotFoundError` that says how to create it otherwise. */
  async require(name: string): Promise<AppRecord> {
    return requireApp(this.knex, name);
  }

  /** Newest first. */
  async list(options: {
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
    return toPage(await query, options.limit, toAppRecord, row => [
      row.created_at,
      row.name,
    ]);
  }

  /** Name, repository and entity of every app (few columns, no secrets). */
  async listLinks(): Promise<
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

  /**
   * The app registered for an entity (`entityRef`, compared without case),
   * the most recently updated when several name it.
   */
  async findByEntityRef(entityRef: string): Promise<AppRecord | undefined> {
    const row = await this.knex('apps')
      .whereRaw('lower(entity_ref) = ?', [entityRef.toLowerCase()])
      .orderBy('updated_at', 'desc')
      .first();
    return row ? toAppRecord(row) : undefined;
  }

  /** The apps that deploy on a push (`autoDeploy` set). */
  async listWithAutoDeploy(): Promise<AppRecord[]> {
    const rows = await this.knex('apps').whereNotNull('auto_deploy');
    return rows.map(toAppRecord);
  }

  /**
   * The sealed secret env of every app that has any, as stored (the text
   * {@link AppStore.replaceSecretEnv} compares against).
   */
  async listSealedSecretEnv(): Promise<
    Array<{ name: string; secretEnv: string }>
  > {
    const rows = await this.knex('apps')
      .whereNot('secret_env', '{}')
      .select('name', 'secret_env');
    return rows.map(r => ({ name: r.name, secretEnv: r.secret_env }));
  }

  /**
   * Replaces an app's sealed secret env only if it is still `stored` (as
   * read): a concurrent write is never lost. Returns 1 if it changed, else 0.
   */
  async replaceSecretEnv(
    name: string,
    stored: string,
    sealed: Record<string, string>,
  ): Promise<number> {
    return this.knex('apps')
      .where({ name, secret_env: stored })
      .update({ secret_env: JSON.stringify(sealed) });
  }

  /**
   * Inserts the app and its first deployment in one transaction, so an app
   * never exists without the deployment its creation promised.
   */
  async createWithDeployment(
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
        ...this.columns(app.name, app),
        created_at: at,
        updated_at: at,
      });
      const stored = await requireApp(tx, app.name);
      const created = await this.deployments.insertPending(
        tx,
        stored,
        deployment,
      );
      return { app: stored, deployment: created };
    });
  }

  /**
   * Applies the patch and returns the app as stored now. A patch that
   * changes `repoUrl` without giving `secretEnv` drops the secret env: the
   * secrets were given for the old repository's code, never the new one's.
   * The names dropped are returned (read and written in one transaction).
   */
  async update(name: string, patch: Partial<AppInput>): Promise<AppUpdate> {
    return this.knex.transaction(async tx => {
      const before = await findApp(tx, name);
      if (!before) {
        throw new NotFoundError(`No app named "${name}" to update.`);
      }
      const repoChanged =
        patch.repoUrl !== undefined && patch.repoUrl !== before.repoUrl;
      const dropped =
        repoChanged && patch.secretEnv === undefined
          ? Object.keys(before.secretEnv).sort()
          : [];
      const effective = dropped.length ? { ...patch, secretEnv: {} } : patch;
      await tx('apps')
        .where({ name })
        .update({ ...this.columns(name, effective), updated_at: now() });
      return {
        app: await requireApp(tx, name),
        previousRepoUrl: repoChanged ? before.repoUrl : undefined,
        droppedSecretEnvKeys: dropped,
      };
    });
  }

  /** Removes the app with its deployments and their logs, all or nothing. */
  async delete(name: string): Promise<void> {
    await this.knex.transaction(async tx => {
      const ids = tx('deployments').where({ app: name }).select('id');
      await tx('deployment_logs').whereIn('deployment_id', ids).delete();
      await tx('deployments').where({ app: name }).delete();
      await tx('apps').where({ name }).delete();
    });
  }
}
