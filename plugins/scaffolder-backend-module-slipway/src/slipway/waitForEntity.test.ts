import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitForEntity } from './waitForEntity';

/** A catalog stand-in on 127.0.0.1 that knows the entity after `misses` asks. */
async function catalogAfter(misses: number) {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.url} ${req.headers.authorization ? 'token' : 'none'}`);
    res.statusCode = seen.length > misses ? 200 : 404;
    res.end('{}');
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    seen,
    options: {
      discovery: {
        getBaseUrl: async () => `http://127.0.0.1:${port}/api/catalog`,
        getExternalBaseUrl: async () => '',
      },
      auth: mockServices.auth(),
      onBehalfOf: mockCredentials.user('user:default/alice'),
    },
    close: () => new Promise(r => server.close(r)),
  };
}

describe('waitForEntity', () => {
  it('asks the catalog as the user until it serves the entity', async () => {
    const catalog = await catalogAfter(2);
    let waits = 0;
    try {
      await expect(
        waitForEntity(catalog.options, 'component:default/orders', 30, () => {
          waits++;
        }),
      ).resolves.toBe(true);
      expect(catalog.seen).toEqual(
        Array(3).fill(
          '/api/catalog/entities/by-name/component/default/orders token',
        ),
      );
      expect(waits).toBe(1);
    } finally {
      await catalog.close();
    }
  });

  it('gives up after the seconds it was given', async () => {
    const catalog = await catalogAfter(Infinity);
    try {
      const started = Date.now();
      await expect(
        waitForEntity(catalog.options, 'component:default/orders', 1, () => {}),
      ).resolves.toBe(false);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(catalog.seen.length).toBeGreaterThanOrEqual(2);
    } finally {
      await catalog.close();
    }
  });
});
