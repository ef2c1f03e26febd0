import { Knex } from 'knex';
import { toDate } from '../oasis/rows';

const TABLE = 'github_poll_state';

/** Where the polling fallback stands with one repository. */
export interface GithubPollState {
  repo: string;
  /** The ETag of the last answer, for a conditional request. */
  etag: string | null;
  /** Not before this time (a rate limit or a failure backs off). */
  nextPollAt: Date | null;
}

/** The fields of a repository's state a poll changes; the others stay. */
export interface GithubPollStateUpdate {
  etag?: string | null;
  lastPolledAt?: Date;
  nextPollAt?: Date | null;
  lastError?: string | null;
}

/** The polling fallback's state per repository (`github_poll_state`). */
export interface GithubPollStateStore {
  /** The states of those repositories that have one, by repository. */
  getMany(repos: string[]): Promise<Map<string, GithubPollState>>;
  /** Creates the repository's state or changes the fields given. */
  save(repo: string, update: GithubPollStateUpdate): Promise<void>;
}

const COLUMNS: Record<keyof GithubPollStateUpdate, string> = {
  etag: 'etag',
  lastPolledAt: 'last_polled_at',
  nextPollAt: 'next_poll_at',
  lastError: 'last_error',
};

/** {@link GithubPollStateStore} on the plugin's database. */
export class KnexGithubPollStateStore implements GithubPollStateStore {
  readonly #knex: Knex;

  constructor(knex: Knex) {
    this.#knex = knex;
  }

  async getMany(repos: string[]): Promise<Map<string, GithubPollState>> {
    const rows: Array<{
      repo: string;
      etag: string | null;
      next_poll_at: Date | string | number | null;
    }> = await this.#knex(TABLE).whereIn('repo', repos);
    return new Map(
      rows.map(row => [
        row.repo,
        {
          repo: row.repo,
          etag: row.etag,
          nextPollAt: row.next_poll_at ? toDate(row.next_poll_at) : null,
        },
      ]),
    );
  }

  async save(repo: string, update: GithubPollStateUpdate): Promise<void> {
    const values = Object.fromEntries(
      Object.entries(update)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [COLUMNS[k as keyof GithubPollStateUpdate], v]),
    );
    await this.#knex(TABLE)
      .insert({ repo, ...values })
      .onConflict('repo')
      .merge(Object.keys(values));
  }
}
