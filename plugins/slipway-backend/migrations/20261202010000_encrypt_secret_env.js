// @ts-check

/**
 * Secret env values at rest become encrypted: every plaintext value in
 * `apps.secret_env` and in the `secretEnv` of each deployment's config
 * snapshot is replaced by its sealed form (`v1:<keyId>:...`). Encryption
 * needs the configured key, which the plugin hands to this migration as
 * `context.sealSecret(app, name, value)`. Without a key, a database that
 * holds plaintext secrets is not migrated: the error names the setting.
 *
 * @param {import('knex').Knex} knex
 * @param {{ sealSecret?: (app: string, name: string, value: string) => string }} [context]
 */
exports.up = async function up(knex, context) {
  const sealEnv = (/** @type {string} */ app, /** @type {any} */ env) => {
    const entries = Object.entries(env ?? {});
    if (!entries.length) return undefined;
    if (!context?.sealSecret) {
      throw new Error(
        `App "${app}" has secret env stored in plain text from before encryption at rest; set slipway.secrets.encryptionKeys so that migration 20261202010000_encrypt_secret_env can encrypt it`,
      );
    }
    const seal = context.sealSecret;
    return Object.fromEntries(
      entries.map(([name, value]) => [name, seal(app, name, String(value))]),
    );
  };
  const parse = (/** @type {unknown} */ v) =>
    typeof v === 'string' ? JSON.parse(v || '{}') : v ?? {};

  const apps = await knex('apps')
    .whereNot('secret_env', '{}')
    .select('name', 'secret_env');
  for (const row of apps) {
    const sealed = sealEnv(row.name, parse(row.secret_env));
    if (sealed) {
      await knex('apps')
        .where({ name: row.name })
        .update({ secret_env: JSON.stringify(sealed) });
    }
  }

  // Snapshots are written by JSON.stringify: a non-empty secretEnv shows
  // as `"secretEnv":{"`. Batched by id, so a long history fits in memory.
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
      const config = parse(row.config);
      const sealed = sealEnv(row.app, config.secretEnv);
      if (sealed) {
        await knex('deployments')
          .where({ id: row.id })
          .update({ config: JSON.stringify({ ...config, secretEnv: sealed }) });
      }
    }
    afterId = String(rows[rows.length - 1].id);
  }
};

/**
 * Decrypting would need the key and would put secrets back in plain text;
 * going down leaves the values encrypted.
 */
exports.down = async function down() {};
