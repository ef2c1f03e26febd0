import { createTestDatabases } from '@slipway/test-utils';
import { applyDatabaseMigrations } from '../database/migrations';
import { KnexGithubPollStateStore } from './GithubPollStateStore';

jest.setTimeout(60_000);

const databases = createTestDatabases();

describe('KnexGithubPollStateStore', () => {
  it.each(databases.eachSupportedId())(
    'creates a repository’s state and changes only the fields a poll gives, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const store = new KnexGithubPollStateStore(knex);
      expect(await store.getMany(['acme/shop'])).toEqual(new Map());

      const polled = new Date('2026-12-01T10:00:00Z');
      await store.save('acme/shop', {
        etag: 'W/"1"',
        lastPolledAt: polled,
        nextPollAt: null,
        lastError: null,
      });
      // A rate limit sets when to ask again; the ETag stays for then.
      const resume = new Date('2026-12-01T11:00:00Z');
      await store.save('acme/shop', {
        nextPollAt: resume,
        lastError: 'rate limited (HTTP 429)',
      });
      await store.save('acme/other', { nextPollAt: resume });

      expect(await store.getMany(['acme/shop', 'acme/none'])).toEqual(
        new Map([
          [
            'acme/shop',
            { repo: 'acme/shop', etag: 'W/"1"', nextPollAt: resume },
          ],
        ]),
      );
      expect((await store.getMany(['acme/other'])).get('acme/other')).toEqual({
        repo: 'acme/other',
        etag: null,
        nextPollAt: resume,
      });

      // A successful poll clears the wait.
      await store.save('acme/shop', { nextPollAt: null, lastError: null });
      expect((await store.getMany(['acme/shop'])).get('acme/shop')).toEqual({
        repo: 'acme/shop',
        etag: 'W/"1"',
        nextPollAt: null,
      });
    },
  );
});
