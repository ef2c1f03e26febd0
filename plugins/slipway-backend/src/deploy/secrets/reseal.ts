import { LoggerService } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import { json } from '../store/rows';
import { SecretBox } from './SecretBox';

/**
 * Seals again, with the first configured key, every secret env value that
 * an older (still configured) key sealed: in apps and in deployment
 * snapshots. Each row is updated only if it is unchanged since it was read,
 * so instances starting together and concurrent writes never lose a value.
 * Returns how many rows changed.
 */
export async function resealSecrets(
  knex: Knex,
  box: SecretBox,
  logger?: LoggerService,
): Promise<number> {
  if (!box.canSeal) return 0;
  let changed = 0;
  const apps = await knex('apps')
    .whereNot('secret_env', '{}')
    .select('name', 'secret_env');
  for (const row of apps) {
    const resealed = box.resealEnv(row.name, json(row.secret_env, {}));
    if (!resealed) continue;
    changed += await knex('apps')
      .where({ name: row.name, secret_env: row.secret_env })
      .update({ secret_env: JSON.stringify(resealed) });
  }
  let afterId = '0';
  for (;;) {
    const rows = await knex('deployments')
      .where('id', '>', afterId)
      .where('config', 'like', '%"secretEnv":{"%')
      .orderBy('id')
      .limit(200)
      .select('id', 'app', 'config');
    if (!rows.length) break;
    for (const row of rows) {
      const config = json<Record<string, any>>(row.config, {});
      const resealed = box.resealEnv(row.app, config.secretEnv ?? {});
      if (!resealed) continue;
      changed += await knex('deployments')
        .where({ id: row.id, config: row.config })
        .update({ config: JSON.stringify({ ...config, secretEnv: resealed }) });
    }
    afterId = String(rows[rows.length - 1].id);
  }
  if (changed) {
    logger?.info(
      `Re-encrypted the secret env of ${changed} apps and deployments with key "${box.primaryKeyId}"`,
    );
  }
  return changed;
}
