import { LoggerService } from '@backstage/backend-plugin-api';
import type { DeployStore } from '../DeployStore';
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
  store: Pick<DeployStore, 'apps' | 'deployments'>,
  box: SecretBox,
  logger?: LoggerService,
): Promise<number> {
  if (!box.canSeal) return 0;
  let changed = 0;
  for (const app of await store.apps.listSealedSecretEnv()) {
    const resealed = box.resealEnv(app.name, json(app.secretEnv, {}));
    if (!resealed) continue;
    changed += await store.apps.replaceSecretEnv(
      app.name,
      app.secretEnv,
      resealed,
    );
  }
  let afterId = '0';
  for (;;) {
    const rows = await store.deployments.listWithSecretEnv(afterId, 200);
    if (!rows.length) break;
    for (const row of rows) {
      const config = json<Record<string, any>>(row.config, {});
      const resealed = box.resealEnv(row.app, config.secretEnv ?? {});
      if (!resealed) continue;
      changed += await store.deployments.replaceConfig(row.id, row.config, {
        ...config,
        secretEnv: resealed,
      });
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
