import { Knex } from 'knex';
import type { InTransaction } from '../database/InTransaction';
import { toDate } from '../oasis/rows';

const TABLE = 'webhook_sources';

/**
 * What a delivery tells about its hook's source (`repo:<owner>/<name>` or
 * `org:<owner>`, lower case): a ping registers it, any delivery shows it
 * alive.
 */
export interface WebhookSourceTouch {
  sourceKey: string;
  hookId: string | null;
  /** Set by a ping: the hook was registered and reached Slipway. */
  pingedAt?: Date;
  lastDeliveryAt: Date;
}

/** Whether a repository's webhook reaches Slipway. */
export interface WebhookLiveness {
  /** Its own or its organization's hook pinged or delivered. */
  connected: boolean;
  /** The repository's latest delivery (ISO 8601), if any. */
  lastDeliveryAt: string | null;
}

/**
 * The GitHub hooks seen (`webhook_sources`): which repositories and
 * organizations registered a hook (a signed ping) and when each last
 * delivered.
 */
export interface WebhookSourceStore {
  /**
   * Records touches in the caller's transaction. A touch sets only what it
   * knows, so a delivery's liveness never clears the time of an earlier
   * ping; several touches of one source merge, later ones winning.
   */
  touch(touches: WebhookSourceTouch[], options: InTransaction): Promise<void>;
  /** The liveness of a repository's (lower-case `owner/name`) webhook. */
  liveness(repo: string): Promise<WebhookLiveness>;
  /** The repositories (lower case) whose own hook pinged Slipway. */
  pingedRepositories(): Promise<string[]>;
  /** The last delivery time (epoch ms) of those repositories that have one. */
  lastDeliveries(repos: string[]): Promise<Map<string, number>>;
}

/** {@link WebhookSourceStore} on the plugin's database. */
export class KnexWebhookSourceStore implements WebhookSourceStore {
  readonly #knex: Knex;

  constructor(knex: Knex) {
    this.#knex = knex;
  }

  async touch(
    touches: WebhookSourceTouch[],
    { trx }: InTransaction,
  ): Promise<void> {
    const merged = new Map<string, Record<string, unknown>>();
    for (const t of touches) {
      const row: Record<string, unknown> = {
        source_key: t.sourceKey,
        hook_id: t.hookId,
        pinged_at: t.pingedAt,
        last_delivery_at: t.lastDeliveryAt,
      };
      const fields = Object.fromEntries(
        Object.entries(row).filter(([, v]) => v !== null && v !== undefined),
      );
      merged.set(t.sourceKey, { ...merged.get(t.sourceKey), ...fields });
    }
    // Sorted, so concurrent instances lock sources in one order.
    for (const [, row] of [...merged].sort(([a], [b]) => (a < b ? -1 : 1))) {
      await trx(TABLE)
        .insert(row)
        .onConflict('source_key')
        .merge(Object.keys(row).filter(k => k !== 'source_key'));
    }
  }

  async liveness(repo: string): Promise<WebhookLiveness> {
    const owner = repo.split('/')[0];
    const rows = await this.#knex(TABLE).whereIn('source_key', [
      `repo:${repo}`,
      `org:${owner}`,
    ]);
    const repoRow = rows.find(r => r.source_key === `repo:${repo}`);
    return {
      connected: rows.some(r => r.pinged_at || r.last_delivery_at),
      lastDeliveryAt: repoRow?.last_delivery_at
        ? toDate(repoRow.last_delivery_at).toISOString()
        : null,
    };
  }

  async pingedRepositories(): Promise<string[]> {
    const rows: Array<{ source_key: string }> = await this.#knex(TABLE)
      .where('source_key', 'like', 'repo:%')
      .whereNotNull('pinged_at')
      .select('source_key');
    return rows.map(row => row.source_key.slice(5).toLowerCase());
  }

  async lastDeliveries(repos: string[]): Promise<Map<string, number>> {
    const rows = await this.#knex(TABLE).whereIn(
      'source_key',
      repos.map(r => `repo:${r}`),
    );
    return new Map<string, number>(
      rows
        .filter(s => s.last_delivery_at)
        .map(s => [
          String(s.source_key).slice(5),
          toDate(s.last_delivery_at).getTime(),
        ]),
    );
  }
}
