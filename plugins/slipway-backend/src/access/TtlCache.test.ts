import { TtlCache } from './TtlCache';

describe('TtlCache', () => {
  it('keeps at most maxEntries answers, dropping the oldest', async () => {
    const cache = new TtlCache<number>({ ttlMs: 60_000, maxEntries: 3 });
    for (let i = 0; i < 10; i++) cache.set(`k${i}`, Promise.resolve(i));
    expect(cache.size).toBe(3);
    expect(cache.get('k0')).toBeUndefined();
    expect(await cache.get('k9')).toBe(9);
  });

  it('forgets an answer after its TTL and a lookup that failed', async () => {
    const cache = new TtlCache<boolean>({ ttlMs: 50, maxEntries: 10 });
    let loads = 0;
    const load = async () => {
      loads++;
      return true;
    };
    await cache.getOrLoad('alice', load);
    await cache.getOrLoad('alice', load);
    expect(loads).toBe(1);
    await new Promise(r => setTimeout(r, 80));
    await cache.getOrLoad('alice', load);
    expect(loads).toBe(2);

    await expect(
      cache.getOrLoad('bob', async () => {
        throw new Error('catalog down');
      }),
    ).rejects.toThrow('catalog down');
    expect(cache.get('bob')).toBeUndefined();
  });

  it('shares one pending lookup between concurrent asks', async () => {
    const cache = new TtlCache<number>({ ttlMs: 1000, maxEntries: 10 });
    let loads = 0;
    const load = () => {
      loads++;
      return new Promise<number>(r => setTimeout(() => r(loads), 20));
    };
    const answers = await Promise.all(
      [1, 2, 3].map(() => cache.getOrLoad('k', load)),
    );
    expect(answers).toEqual([1, 1, 1]);
    expect(loads).toBe(1);
  });
});
