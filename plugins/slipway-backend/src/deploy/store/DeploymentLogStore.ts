import { Knex } from 'knex';
import { DeploymentLogLine } from './records';
import { now, toLogLine } from './rows';

/** Small batches keep each insert under SQLite's variable limit. */
const INSERT_BATCH = 100;

/** The `deployment_logs` table: what each deployment's steps printed. */
export class DeploymentLogStore {
  constructor(private readonly knex: Knex) {}

  /** Stores the lines in order, all with the same timestamp. */
  async append(
    deploymentId: string,
    lines: { step: string; line: string }[],
  ): Promise<void> {
    if (!lines.length) return;
    const at = now();
    for (let i = 0; i < lines.length; i += INSERT_BATCH) {
      await this.knex('deployment_logs').insert(
        lines.slice(i, i + INSERT_BATCH).map(l => ({
          deployment_id: deploymentId,
          step: l.step,
          line: l.line,
          created_at: at,
        })),
      );
    }
  }

  /** Up to `limit` lines after the line `afterId`, oldest first. */
  async read(
    deploymentId: string,
    options: { afterId?: string; limit: number },
  ): Promise<DeploymentLogLine[]> {
    const query = this.knex('deployment_logs')
      .where({ deployment_id: deploymentId })
      .orderBy('id', 'asc')
      .limit(options.limit);
    if (options.afterId) query.where('id', '>', options.afterId);
    const rows = await query;
    return rows.map(toLogLine);
  }
}
