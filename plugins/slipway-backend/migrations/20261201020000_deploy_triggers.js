// @ts-check

/**
 * Auto-deploy triggers, durable: every workflow run state and push that a
 * signed delivery (or Slipway's own poller) stored is recorded here in the
 * same transaction as its OASIS event. Completed runs and pushes are
 * `pending` until a trigger worker of any instance has acted on them; run
 * states that cannot trigger anything (`fact`) are what requireGreenCi reads
 * to judge a commit's CI. Deployments get a dedup key, unique per app, so a
 * commit is auto-deployed at most once whatever replays its deliveries.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('deploy_triggers', table => {
    table.comment(
      'Workflow runs and pushes from signed deliveries; the auto-deploy outbox',
    );
    table.bigIncrements('id').primary();
    // The dedup key of the OASIS event: one fact is one trigger.
    table
      .string('dedup_key', 400)
      .notNullable()
      .unique('deploy_triggers_dedup_key_uq');
    table.bigInteger('event_id').notNullable();
    // 'webhook' (with its delivery id) or 'poll'.
    table.string('origin', 16).notNullable();
    table.string('delivery_id', 64).nullable();
    table.string('kind', 32).notNullable();
    // owner/name, lower case.
    table.string('repo', 255).notNullable();
    table.string('head_sha', 64).notNullable();
    table.string('branch', 255).nullable();
    table.string('status', 16).notNullable();
    table.string('workflow', 255).nullable();
    table.string('workflow_path', 255).nullable();
    table.string('run_id', 32).nullable();
    table.integer('run_attempt').nullable();
    // What started the run (push, pull_request, workflow_dispatch, ...).
    table.string('run_event', 64).nullable();
    // owner/name of the run's head repository, lower case.
    table.string('head_repo', 255).nullable();
    table.boolean('deleted').notNullable().defaultTo(false);
    table.text('link').nullable();
    table
      .string('state', 16)
      .notNullable()
      .checkIn(['pending', 'done', 'fact'], 'deploy_triggers_state_check');
    table.string('claimed_by', 64).nullable();
    // Epoch milliseconds, like deployments.heartbeat_ms.
    table.bigInteger('claim_expires_ms').nullable();
    table.integer('attempts').notNullable().defaultTo(0);
    // JSON: what auto-deploy decided per app, and why.
    table.text('decisions').nullable();
    table
      .timestamp('created_at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now());
    table.timestamp('done_at', { useTz: true }).nullable();
    table.index(['repo', 'head_sha'], 'deploy_triggers_commit_idx');
    table.index(['state', 'id'], 'deploy_triggers_state_id_idx');
    table.index(['created_at'], 'deploy_triggers_created_at_idx');
  });

  await knex.schema.alterTable('deployments', table => {
    table.string('dedup_key', 128).nullable();
    // NULLs never collide: only keyed deployments are unique.
    table.unique(['app', 'dedup_key'], {
      indexName: 'deployments_app_dedup_key_uq',
    });
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('deployments', table => {
    table.dropUnique(['app', 'dedup_key'], 'deployments_app_dedup_key_uq');
    table.dropColumn('dedup_key');
  });
  await knex.schema.dropTable('deploy_triggers');
};
