import type { OasisEvent } from '@slipway/plugin-slipway-common';
import { createTestDatabases } from '@slipway/test-utils';
import { OasisEventStore } from './OasisEventStore';

jest.setTimeout(60_000);

const databases = createTestDatabases();

const base = {
  module: 'DEPLOY',
  source: 'slipway.deploy',
  kind: 'deployment',
  status: 'info' as const,
  meta: {},
};

describe('OasisEventStore', () => {
  it.each(databases.eachSupportedId())(
    'publishes, lists with filters and keyset pages, gets and notifies on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const store = await OasisEventStore.create({ knex });
      const seen: OasisEvent[] = [];
      const unsubscribe = store.onEvent(e => {
        seen.push(e);
      });

      const first = await store.publish({
        ...base,
        title: 'DEPLOY-STARTED',
        vtid: 'DEV-CICDL-0001',
        layer: 'CICDL',
        repo: 'acme/one',
        entityRef: 'component:default/one',
        meta: { deploymentId: '7' },
      });
      expect(first).toMatchObject({
        vtid: 'DEV-CICDL-0001',
        title: 'DEPLOY-STARTED',
        repo: 'acme/one',
        meta: { deploymentId: '7' },
      });
      expect(first.id).toMatch(/^\d+$/);
      expect(Date.parse(first.createdAt)).toBeGreaterThan(Date.now() - 60_000);

      for (let i = 0; i < 7; i++) {
        await store.publish({
          ...base,
          title: `STEP-${i}`,
          status: i % 2 ? 'success' : 'failure',
          repo: 'acme/two',
        });
      }
      // Defaults for what a publisher leaves out.
      const got = await store.get(BigInt(first.id));
      expect(got).toEqual(first);
      const unset = (await store.list({ repo: 'acme/two' }, { limit: 1 }))
        .items[0];
      expect(unset).toMatchObject({
        vtid: 'UNSET',
        layer: 'UNSET',
        ref: null,
        entityRef: null,
      });

      // Newest first, pages of 3 with no overlap and no gap.
      const pages: OasisEvent[][] = [];
      let cursor: string | undefined;
      do {
        const page = await store.list(
          { repo: 'acme/two' },
          { limit: 3, cursor },
        );
        pages.push(page.items);
        cursor = page.nextCursor;
      } while (cursor);
      expect(pages.map(p => p.length)).toEqual([3, 3, 1]);
      const titles = pages.flat().map(e => e.title);
      expect(titles).toEqual([6, 5, 4, 3, 2, 1, 0].map(i => `STEP-${i}`));

      expect(
        (await store.list({ status: 'success' }, { limit: 50 })).items,
      ).toHaveLength(3);
      expect(
        (await store.list({ vtid: 'DEV-CICDL-0001' }, { limit: 50 })).items,
      ).toEqual([first]);
      expect(
        (
          await store.list(
            { since: new Date(Date.now() + 60_000) },
            { limit: 50 },
          )
        ).items,
      ).toEqual([]);

      const stats = await store.stats({}, 'status');
      expect(stats.total).toBe(8);
      expect(stats.counts).toEqual([
        { key: 'failure', count: 4 },
        { key: 'success', count: 3 },
        { key: 'info', count: 1 },
      ]);

      await expect(store.get(999999n)).rejects.toThrow(/No OASIS event/);
      await expect(
        store.publish({ ...base, title: 'x', status: 'bogus' as any }),
      ).rejects.toThrow(/status must be one of/);

      // Listeners run after commit, once per event.
      await new Promise(r => setTimeout(r, 20));
      expect(seen.map(e => e.title)).toEqual([
        'DEPLOY-STARTED',
        ...[0, 1, 2, 3, 4, 5, 6].map(i => `STEP-${i}`),
      ]);
      unsubscribe();
      await store.publish({ ...base, title: 'after' });
      await new Promise(r => setTimeout(r, 20));
      expect(seen).toHaveLength(8);

      // Retention removes only what is older than the cutoff.
      expect(await store.deleteOlderThan(new Date(Date.now() - 3600_000))).toBe(
        0,
      );
      expect(await store.deleteOlderThan(new Date(Date.now() + 1000))).toBe(9);
      expect((await store.list({}, { limit: 50 })).items).toEqual([]);
    },
  );
});
