import type { OasisEvent, OasisStatus } from '@slipway/plugin-slipway-common';
import { Knex } from 'knex';
import { deleteInBatches } from '../database/deleteInBatches';
import type { InTransaction } from '../database/InTransaction';
import { triggerRowOf } from './triggerFacts';
import { TriggerFact } from './types';

const TABLE = 'deploy_triggers';

/** Rows per insert statement (about 20 columns each). */
const CHUNK = 200;

interface TriggerRow {
  id: number | string;
  kind: string;
  repo: string;
  head_sha: string;
  branch: string | null;
  status: string;
  workflow: string | null;
  workflow_path: string | null;
  run_id: string | null;
  run_attempt: number | string | null;
  run_event: string | null;
  head_repo: string | null;
  link: string | null;
  event_id: number | string;
  origin: string;
  delivery_id: string | null;
  attempts: number | string;
}

function toFact(row: TriggerRow): TriggerFact {
  return {
    id: String(row.id),
    kind: row.kind as TriggerFact['kind'],
    repo: row.repo,
    headSha: row.head_sha,
    branch: row.branch,
    status: row.status as OasisStatus,
    workflow: row.workflow,
    workflowPath: row.workflow_path,
    runId: row.run_id,
    runAttempt: row.run_attempt === null ? null : Number(row.run_attempt),
    runEvent: row.run_event,
    headRepo: row.head_repo,
    link: row.link,
    eventId: String(row.event_id),
    origin: row.origin === 'poll' ? 'poll' : 'webhook',
    deliveryId: row.delivery_id,
    attempts: Number(row.attempts),
  };
}

/**
 * The `deploy_triggers` table: the facts auto-deploy decides on and the
 * outbox of those still to act on. Rows are written only by the delivery
 * and polling transactions (see {@link TriggerStore.record}); a worker
 * claims pending ones with a lease, so any number of instances share the
 * work and a trigger whose worker died is claimed again once its lease has
 * expired.
 */
export class TriggerStore {
  constructor(private readonly knex: Knex) {}

  /**
   * Records, inside the transaction that stores them, the auto-deploy
   * triggers of GitHub events just stored. A fact already recorded (same
   * dedup key: a replay, or a reprocessed delivery) is left as it is, so it
   * is acted on once.
   */
  async record(
    stored: Array<{ event: OasisEvent; dedupKey?: string }>,
    { trx }: InTransaction,
  ): Promise<void> {
    const rows = stored.flatMap(({ event, dedupKey }) => {
      const row = dedupKey ? triggerRowOf(event, dedupKey) : undefined;
      return row ? [row] : [];
    });
    for (let i = 0; i < rows.length; i += CHUNK) {
      await trx(TABLE)
        .insert(rows.slice(i, i + CHUNK))
        .onConflict('dedup_key')
        .ignore();
    }
  }

  /**
   * Claims up to `limit` pending triggers, oldest first, for `leaseMs`.
   * Each claim is a conditional update: of two instances racing for one
   * trigger, exactly one gets it.
   */
  async claim(
    token: string,
    leaseMs: number,
    limit: number,
  ): Promise<TriggerFact[]> {
    const now = Date.now();
    const claimable = (q: Knex.QueryBuilder) =>
      q
        .where('state', 'pending')
        .where(c =>
          c.whereNull('claim_expires_ms').orWhere('claim_expires_ms', '<', now),
        );
    const ids: Array<number | string> = await claimable(this.knex(TABLE))
      .orderBy('id')
      .limit(limit)
      .pluck('id');
    if (ids.length === 0) return [];
    await claimable(this.knex(TABLE).whereIn('id', ids)).update({
      claimed_by: token,
      claim_expires_ms: now + leaseMs,
      attempts: this.knex.raw('attempts + 1'),
    });
    const rows: TriggerRow[] = await this.knex(TABLE)
      .whereIn('id', ids)
      .where({ claimed_by: token, state: 'pending' })
      .orderBy('id');
    return rows.map(toFact);
  }

  /**
   * Marks a claimed trigger done with what was decided. False when the
   * claim was lost (its lease expired and another worker took it).
   */
  async complete(
    id: string,
    token: string,
    decisions: unknown[],
  ): Promise<boolean> {
    const count = await this.knex(TABLE)
      .where({ id, claimed_by: token, state: 'pending' })
      .update({
        state: 'done',
        decisions: JSON.stringify(decisions),
        done_at: new Date(),
      });
    return count > 0;
  }

  /** Every workflow run state recorded for a commit of a repository. */
  async runsOfCommit(repo: string, headSha: string): Promise<TriggerFact[]> {
    const rows: TriggerRow[] = await this.knex(TABLE)
      .where({ repo: repo.toLowerCase(), head_sha: headSha })
      .where('kind', 'workflow_run')
      .orderBy('id');
    return rows.map(toFact);
  }

  /** What was decided for a trigger, once it is done. */
  async decisionsOf(id: string): Promise<unknown[] | undefined> {
    const row = await this.knex(TABLE)
      .where({ id, state: 'done' })
      .first('decisions');
    return row ? JSON.parse(row.decisions ?? '[]') : undefined;
  }

  /** Deletes triggers recorded before `cutoff`; returns how many. */
  async prune(cutoff: Date): Promise<number> {
    return deleteInBatches(this.knex, TABLE, 'id', 'created_at', cutoff);
  }
}
