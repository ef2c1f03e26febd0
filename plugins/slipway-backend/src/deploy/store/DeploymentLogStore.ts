import { Knex } from 'knex';
import { DeploymentLogLine } from './records';
import { now, toLogLine } from './rows';

/** Small batches keep each insert under SQLite's variable limit. */
const INSERT_BATCH = 100;

/** Step of the line that says how much of a capped log was dropped. */
export const TRUNCATED_STEP = 'truncated';

/** What {@link DeploymentLogStore.dropOldest} removed. */
export interface DroppedLines {
  lines: number;
  bytes: number;
}

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

  /**
   * Drops the oldest lines until at least `atLeastBytes` are gone, keeping
   * one marker line first: the first line ever dropped becomes the marker
   * (so it keeps the smallest id and reads as the log's beginning), later
   * drops update its text. Returns what this call dropped.
   */
  async dropOldest(
    deploymentId: string,
    atLeastBytes: number,
    markerText: (dropped: DroppedLines) => string,
  ): Promise<DroppedLines> {
    const dropped: DroppedLines = { lines: 0, bytes: 0 };
    let marker = await this.knex('deployment_logs')
      .where({ deployment_id: deploymentId, step: TRUNCATED_STEP })
      .first('id');
    // Bounded: each round drops up to 500 lines or stops.
    for (
      let round = 0;
      round < 10_000 && dropped.bytes < atLeastBytes;
      round++
    ) {
      const rows: { id: number; line: string }[] = await this.knex(
        'deployment_logs',
      )
        .where({ deployment_id: deploymentId })
        .whereNot('step', TRUNCATED_STEP)
        .orderBy('id', 'asc')
        .limit(500)
        .select('id', 'line');
      const ids: number[] = [];
      for (const row of rows) {
        if (dropped.bytes >= atLeastBytes) break;
        ids.push(row.id);
        dropped.lines++;
        dropped.bytes += Buffer.byteLength(row.line ?? '');
      }
      if (!ids.length) break;
      if (!marker) {
        marker = { id: ids.shift()! };
        // Marked at once, so the next round does not select it again.
        await this.knex('deployment_logs')
          .where({ id: marker.id })
          .update({ step: TRUNCATED_STEP });
      }
      await this.knex('deployment_logs').whereIn('id', ids).delete();
    }
    if (marker && dropped.lines) {
      await this.knex('deployment_logs')
        .where({ id: marker.id })
        .update({ step: TRUNCATED_STEP, line: markerText(dropped) });
    }
    return dropped;
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
