import { LoggerService } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';

/**
 * PostgreSQL channel every event-writing transaction notifies on commit
 * (see OasisEventStore.insertPrepared). The payload is empty: a listener
 * only learns that it should read the table.
 */
export const EVENTS_CHANNEL = 'slipway_oasis_events';

interface PgClient {
  query(sql: string): Promise<unknown>;
  on(event: 'notification', listener: () => void): void;
  on(event: 'error' | 'end', listener: (error?: unknown) => void): void;
  removeAllListeners(event?: string): void;
  processID?: number;
}

/**
 * Listens for event commits of every backend instance on one dedicated
 * connection (outside the pool: LISTEN holds it), so a stream subscriber on
 * one instance hears of an event stored by another at once instead of at
 * the next poll. The poll stays as the safety net: a notification only
 * wakes the reader. A dropped connection is reopened with backoff.
 */
export class PgEventNotifications {
  readonly #knex: Knex;
  readonly #logger?: LoggerService;
  readonly #onNotify: () => void;
  #client: PgClient | undefined;
  #stopped = false;
  #retryMs = 500;
  #retryTimer: NodeJS.Timeout | undefined;

  constructor(options: {
    knex: Knex;
    onNotify: () => void;
    logger?: LoggerService;
  }) {
    this.#knex = options.knex;
    this.#onNotify = options.onNotify;
    this.#logger = options.logger;
  }

  /** The listening connection's server process id (for tests). */
  get backendPid(): number | undefined {
    return this.#client?.processID;
  }

  /** Opens the listening connection; resolves once LISTEN is in place. */
  async start(): Promise<void> {
    this.#stopped = false;
    await this.#connect();
  }

  /** Closes the listening connection. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    const client = this.#client;
    this.#client = undefined;
    if (client) {
      client.removeAllListeners('notification');
      client.removeAllListeners('end');
      await this.#close(client);
    }
  }

  async #connect(): Promise<void> {
    let client: PgClient | undefined;
    try {
      client = (await this.#knex.client.acquireRawConnection()) as PgClient;
      if (this.#stopped) {
        await this.#knex.client.destroyRawConnection(client);
        return;
      }
      client.on('notification', () => this.#onNotify());
      // A connection error also ends the connection: 'end' reopens it.
      client.on('error', () => {});
      client.on('end', () => this.#lost(client!));
      await client.query(`LISTEN ${EVENTS_CHANNEL}`);
      if (this.#stopped) {
        // stop() ran while LISTEN was in flight: it could not see this one.
        client.removeAllListeners('end');
        await this.#close(client);
        return;
      }
      this.#client = client;
      this.#retryMs = 500;
      // Whatever was committed while nobody listened is read now.
      this.#onNotify();
    } catch (error) {
      if (client) {
        client.removeAllListeners('end');
        await this.#close(client);
      }
      this.#logger?.warn(
        `Cannot listen for OASIS events of other instances (they arrive by polling meanwhile): ${error}`,
      );
      this.#retry();
    }
  }

  /**
   * Best-effort close of a listening connection: a failure costs at most one
   * connection slot until the server notices, so it is logged, not thrown.
   */
  async #close(client: PgClient): Promise<void> {
    try {
      await this.#knex.client.destroyRawConnection(client);
    } catch (error) {
      this.#logger?.warn(
        `Could not close the connection listening for OASIS events (server process ${
          client.processID ?? 'unknown'
        }); the server drops it when it notices: ${error}`,
      );
    }
  }

  #lost(client: PgClient) {
    if (this.#client !== client || this.#stopped) return;
    this.#client = undefined;
    this.#logger?.warn(
      'The connection listening for OASIS events of other instances closed; reopening it',
    );
    this.#retry();
  }

  #retry() {
    if (this.#stopped) return;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => this.#connect(), this.#retryMs);
    this.#retryTimer.unref?.();
    this.#retryMs = Math.min(this.#retryMs * 2, 10_000);
  }
}
