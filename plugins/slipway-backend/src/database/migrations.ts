import { resolvePackagePath } from '@backstage/backend-plugin-api';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Knex } from 'knex';

const migrationsDir = resolvePackagePath(
  '@slipway/plugin-slipway-backend',
  'migrations',
);

/** What migrations may need beyond the database. */
export interface MigrationContext {
  /** Encrypts a secret env value (see deploy/secrets/SecretBox). */
  sealSecret?: (app: string, name: string, value: string) => string;
}

/**
 * The migration files, each called with the context as second argument
 * (knex itself passes only the connection). `upTo` stops after the named
 * migration, for tests of a migration against older data.
 */
function migrationSource(
  context: MigrationContext,
  upTo?: string,
): Knex.MigrationSource<string> {
  return {
    async getMigrations() {
      const files = (await fs.readdir(migrationsDir))
        .filter(f => f.endsWith('.js'))
        .sort();
      return upTo ? files.filter(f => f <= upTo) : files;
    },
    getMigrationName: file => file,
    async getMigration(file) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const migration = require(path.join(migrationsDir, file));
      return {
        ...migration,
        up: (knex: Knex) => migration.up(knex, context),
        down: (knex: Knex) => migration.down(knex, context),
      };
    },
  };
}

/**
 * Brings the plugin's tables up to date. Knex takes a lock table row, so
 * several backend instances starting at once migrate exactly once.
 */
export async function applyDatabaseMigrations(
  knex: Knex,
  context: MigrationContext = {},
  options: { upTo?: string } = {},
): Promise<void> {
  await knex.migrate.latest({
    migrationSource: migrationSource(context, options.upTo),
    tableName: 'slipway_knex_migrations',
  });
}
