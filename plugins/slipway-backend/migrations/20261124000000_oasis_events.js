// @ts-check

/**
 * The OASIS events table (a contract: columns, indexes and the status check
 * constraint are relied on by users and tools).
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('oasis_events', table => {
    table.comment('Normalized CI/CD and deploy events (OASIS)');
    table.bigIncrements('id').primary();
    table
      .timestamp('created_at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now());
    table.string('vtid', 64).notNullable().defaultTo('UNSET');
    table.string('layer', 32).notNullable().defaultTo('UNSET');
    table.string('module', 32).notNullable();
    table.string('source', 128).notNullable();
    table.string('kind', 64).notNullable();
    table
      .string('status', 16)
      .notNullable()
      .checkIn(
        [
          'queued',
          'in_progress',
          'success',
          'failure',
          'cancelled',
          'skipped',
          'info',
        ],
        'oasis_events_status_check',
      );
    table.text('title').notNullable();
    table.text('ref').nullable();
    table.text('link').nullable();
    table.string('repo', 255).nullable();
    table.string('entity_ref', 255).nullable();
    table.text('meta').notNullable().defaultTo('{}');
    table.index(['vtid', 'id'], 'oasis_events_vtid_id_idx');
    table.index(['source', 'id'], 'oasis_events_source_id_idx');
    table.index(['entity_ref', 'id'], 'oasis_events_entity_ref_id_idx');
    table.index(['repo', 'id'], 'oasis_events_repo_id_idx');
    table.index(['created_at'], 'oasis_events_created_at_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('oasis_events');
};
