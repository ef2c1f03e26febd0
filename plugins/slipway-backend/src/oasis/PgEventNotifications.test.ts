import { mockServices } from '@backstage/backend-test-utils';
import { createTestDatabases } from '@slipway/test-utils';
import { PgEventNotifications } from './PgEventNotifications';

jest.setTimeout(60_000);

const databases = createTestDatabases();
const pg = databases
  .eachSupportedId()
  .filter(([id]) => id.startsWith('POSTGRES'));

/** Server process ids of the connections that LISTEN on our channel. */
async function listeners(knex: any): Promise<number[]> {
  const { rows } = await knex.raw(
    "select pid from pg_stat_activity where query like 'LISTEN slipway_oasis_events%'",
  );
  return rows.map((r: { pid: number }) => r.pid);
}

// Without PostgreSQL (reported by createTestDatabases) there is nothing to run.
const describeOnPg = pg.length ? describe : describe.skip;

describeOnPg('PgEventNotifications', () => {
  it.each(pg.length ? pg : [['POSTGRES_15' as const]])(
    'closes a listening connection that stop() could not see yet (stop during LISTEN) on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const notifications = new PgEventNotifications({
        knex,
        onNotify: () => {},
      });
      // Stop arrives while LISTEN is in flight on the new connection.
      const acquire = knex.client.acquireRawConnection.bind(knex.client);
      let pid: number | undefined;
      knex.client.acquireRawConnection = async () => {
        const client = await acquire();
        pid = client.processID;
        const query = client.query.bind(client);
        client.query = (...args: unknown[]) => {
          const stopped = notifications.stop();
          return Promise.all([query(...args), stopped]).then(([r]) => r);
        };
        return client;
      };
      await notifications.start();
      expect(pid).toBeDefined();
      expect(notifications.backendPid).toBeUndefined();
      // The connection is gone (the server may take a moment to see it).
      for (let i = 0; i < 50 && (await listeners(knex)).includes(pid!); i++) {
        await new Promise(r => setTimeout(r, 100));
      }
      expect(await listeners(knex)).not.toContain(pid);
    },
  );

  it.each(pg.length ? pg : [['POSTGRES_15' as const]])(
    'says so when it cannot close its listening connection on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const logger = mockServices.logger.mock();
      const notifications = new PgEventNotifications({
        knex,
        onNotify: () => {},
        logger,
      });
      await notifications.start();
      const pid = notifications.backendPid;
      expect(await listeners(knex)).toContain(pid);

      const destroy = knex.client.destroyRawConnection.bind(knex.client);
      knex.client.destroyRawConnection = async () => {
        throw new Error('connection already broken');
      };
      await expect(notifications.stop()).resolves.toBeUndefined();
      expect(logger.warn).toHaveBeenCalledWith(
        expect.stringMatching(
          new RegExp(
            `Could not close the connection listening for OASIS events \\(server process ${pid}\\).*connection already broken`,
          ),
        ),
      );
      // Not left behind by the test: the real close, then the server sees it.
      knex.client.destroyRawConnection = destroy;
      await knex.raw('select pg_terminate_backend(?)', [pid!]);
    },
  );
});
