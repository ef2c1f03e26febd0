// @ts-check

/**
 * Watch tables: raw GitHub deliveries (audit and re-mapping), the state of
 * each webhook source (ping, last delivery), dedup keys shared by webhook
 * and polled events, and the polling fallback's per-repository state.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('webhook_deliveries', table => {
    table.comment('GitHub webhook deliveries, one row per X-GitHub-Delivery');
    table.bigIncrements('id').primary();
    table
      .string('delivery_id', 64)
      .notNullable()
      .unique('webhook_deliveries_delivery_id_uq');
    table.string('event', 64).notNullable();
    table.string('action', 64).nullable();
    table.string('hook_id', 32).nullable();
    table.string('repo', 255).nullable();
    table
      .timestamp('received_at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now());
    table.text('payload').notNullable();
    table.string('result', 16).notNullable();
    // JSON array of the OASIS event ids this delivery produced.
    table.text('event_ids').notNullable().defaultTo('[]');
    table.text('error').nullable();
    table.timestamp('processed_at', { useTz: true }).nullable();
    table.index(['result', 'id'], 'webhook_deliveries_result_id_idx');
    table.index(['received_at'], 'webhook_deliveries_received_at_idx');
  });

  await knex.schema.createTable('webhook_sources', table => {
    table.comment('Repositories and organizations whose hook has reached us');
    // `repo:owner/name` or `org:login`, lower case.
    table.string('source_key', 300).primary();
    table.string('hook_id', 32).nullable();
    table.timestamp('pinged_at', { useTz: true }).nullable();
    table.timestamp('last_delivery_at', { useTz: true }).nullable();
  });

  await knex.schema.createTable('oasis_event_keys', table => {
    table.comment(
      'Dedup keys: one fact from webhook or polling is stored once',
    );
    table.string('dedup_key', 400).primary();
    table.bigInteger('event_id').notNullable();
    table
      .timestamp('created_at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now());
    table.index(['event_id'], 'oasis_event_keys_event_id_idx');
    table.index(['created_at'], 'oasis_event_keys_created_at_idx');
  });

  await knex.schema.createTable('github_poll_state', table => {
    table.comment('Polling fallback state per repository (ETag, backoff)');
    table.string('repo', 255).primary();
    table.text('etag').nullable();
    table.timestamp('last_polled_at', { useTz: true }).nullable();
    table.timestamp('next_poll_at', { useTz: true }).nullable();
    table.text('last_error').nullable();
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('github_poll_state');
  await knex.schema.dropTable('oasis_event_keys');
  await knex.schema.dropTable('webhook_sources');
  await knex.schema.dropTable('webhook_deliveries');
};
