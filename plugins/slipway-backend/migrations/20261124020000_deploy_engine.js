// @ts-check

/**
 * Deploy engine tables: apps, their deployments and the deployments' log
 * lines. A deployment keeps a snapshot of the app configuration it ran with,
 * so a rollback restores configuration as well as the image.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('apps', table => {
    table.comment('Apps known to the Slipway deploy engine');
    table.string('name', 63).primary();
    table.text('repo_url').notNullable();
    table.string('ref', 255).nullable();
    table.text('context_path').nullable();
    table.text('dockerfile_path').nullable();
    table.integer('port').notNullable();
    table.text('env').notNullable().defaultTo('{}');
    // Plain JSON in the plugin's own database; never returned by the API.
    table.text('secret_env').notNullable().defaultTo('{}');
    table.text('resources').notNullable().defaultTo('{}');
    table.text('health_check').nullable();
    table.string('entity_ref', 255).nullable();
    table.text('auto_deploy').nullable();
    table.bigInteger('current_deployment_id').nullable();
    table
      .timestamp('created_at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now());
    table
      .timestamp('updated_at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now());
  });

  await knex.schema.createTable('deployments', table => {
    table.comment('Deployments of apps; status drives the worker');
    table.bigIncrements('id').primary();
    table
      .string('app', 63)
      .notNullable()
      .references('name')
      .inTable('apps')
      .onDelete('CASCADE');
    table
      .string('status', 32)
      .notNullable()
      .checkIn(
        [
          'pending',
          'cloning',
          'building',
          'starting',
          'health_checking',
          'running',
          'failed',
          'cancelled',
          'superseded',
        ],
        'deployments_status_check',
      );
    table.string('trigger', 32).notNullable().defaultTo('manual');
    table.string('ref', 255).nullable();
    table.string('commit_sha', 64).nullable();
    table.string('image_tag', 255).nullable();
    table.string('container_id', 128).nullable();
    table.text('url').nullable();
    table.text('error').nullable();
    table.bigInteger('rollback_of').nullable();
    table.text('config').notNullable();
    table.string('claimed_by', 64).nullable();
    table.integer('claim_count').notNullable().defaultTo(0);
    // Epoch milliseconds: compared across instances without timezone or
    // driver-specific timestamp formats getting in the way.
    table.bigInteger('heartbeat_ms').nullable();
    table.boolean('cancel_requested').notNullable().defaultTo(false);
    table
      .timestamp('created_at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now());
    table
      .timestamp('updated_at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now());
    table.timestamp('started_at', { useTz: true }).nullable();
    table.timestamp('finished_at', { useTz: true }).nullable();
    table.index(['app', 'id'], 'deployments_app_id_idx');
    table.index(['status', 'id'], 'deployments_status_id_idx');
  });

  await knex.schema.createTable('deployment_logs', table => {
    table.comment('Log lines of deployments, in order');
    table.bigIncrements('id').primary();
    table
      .bigInteger('deployment_id')
      .unsigned()
      .notNullable()
      .references('id')
      .inTable('deployments')
      .onDelete('CASCADE');
    table.string('step', 32).notNullable();
    table.text('line').notNullable();
    table
      .timestamp('created_at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now());
    table.index(['deployment_id', 'id'], 'deployment_logs_deployment_id_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('deployment_logs');
  await knex.schema.dropTable('deployments');
  await knex.schema.dropTable('apps');
};
