import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';

const migrationsDir = resolvePackagePath(
  '@slipway/plugin-slipway-backend',
  'migrations',
);

/**
 * Brings the plugin's tables up to date. Knex takes a lock table row, so
 * several backend instances starting at once migrate exactly once.
 */
export async function applyDatabaseMigrations(knex: Knex): Promise<void> {
  await knex.migrate.latest({
    directory: migrationsDir,
    tableName: 'slipway_knex_migrations',
    loadExtensions: ['.js'],
  });
}
