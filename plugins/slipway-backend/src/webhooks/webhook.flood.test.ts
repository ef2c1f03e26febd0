import { createTestDatabases } from '@slipway/test-utils';
import http from 'node:http';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { AddressInfo } from 'node:net';
import { signGithubPayload } from './signature';
import {
  deliveryId,
  startWatchBackend,
  TEST_SECRET,
} from './__testUtils__/testBackend';

jest.setTimeout(60_000);

const databases = createTestDatabases();

const MB = 1024 * 1024;
const BOUND = 32 * MB;
const FLOOD = 100;
const SIGNED = 20;
// One chunk shared by every upload: the test's own memory stays flat.
const CHUNK = Buffer.alloc(256 * 1024, 0x20);

type Outcome = { status?: number; retryAfter?: string; error?: string };

/**
 * POSTs `size` bytes with a Content-Length, streamed with backpressure, and
 * resolves with the answer or the connection error (a server that refuses
 * early may close the connection while the client still sends).
 */
function post(
  port: number,
  headers: Record<string, string>,
  size: number,
  body?: Buffer,
): Promise<Outcome> {
  return new Promise(resolve => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/api/slipway/webhooks/github',
      timeout: 20_000,
      agent: false,
      headers: { ...headers, 'content-length': String(size) },
    });
    let done = false;
    const finish = (outcome: Outcome) => {
      if (done) return;
      done = true;
      req.destroy();
      resolve(outcome);
    };
    req.on('response', res => {
      res.resume();
      res.on('end', () =>
        finish({
          status: res.statusCode,
          retryAfter: res.headers['retry-after'],
        }),
      );
    });
    req.on('timeout', () => finish({ error: 'timeout' }));
    req.on('error', error => finish({ error: (error as any).code }));
    if (body) {
      req.end(body);
      return;
    }
    let sent = 0;
    const pump = () => {
      while (sent < size && !done) {
        const n = Math.min(CHUNK.length, size - sent);
        sent += n;
        if (!req.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) {
          req.once('drain', pump);
          return;
        }
      }
      if (!done) req.end();
    };
    pump();
  });
}

/** A signed delivery, sent again after a 503 as a redelivery would be. */
async function deliverSigned(port: number, id: string) {
  const body = Buffer.from(JSON.stringify({ zen: 'Keep it simple.', id }));
  const headers = {
    'content-type': 'application/json',
    'x-github-event': 'ping',
    'x-github-delivery': id,
    'x-hub-signature-256': signGithubPayload(TEST_SECRET, body.toString()),
  };
  for (let attempt = 1; attempt <= 20; attempt++) {
    const outcome = await post(port, headers, body.length, body);
    if (outcome.status === 202 || outcome.status === 200) return attempt;
    await new Promise(r => setTimeout(r, 250));
  }
  throw new Error(`signed delivery ${id} was never accepted`);
}

/** Heap and external memory (bodies are Buffers: external). */
const used = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};

/** A full garbage collection, available without --expose-gc. */
const collectGarbage: () => void = (() => {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc');
})();

/** Growth the backend may show: bodies being read take at most 2 × BOUND. */
const ALLOWED = 2 * BOUND + 128 * MB;

describe('POST /webhooks/github under a flood of unsigned bodies', () => {
  it.each(databases.eachSupportedId())(
    'keeps unverified bytes in flight bounded and stores every signed delivery on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const backend = await startWatchBackend({
        knex,
        config: {
          slipway: {
            github: {
              webhookSecrets: [TEST_SECRET],
              maxUnverifiedBytesInFlight: BOUND,
            },
            cicd: { polling: { enabled: false } },
          },
        },
      });
      const { port } = backend.server.address() as AddressInfo;
      try {
        await deliverSigned(port, deliveryId()); // warms the code paths
        collectGarbage();
        const baseline = used();
        // Live memory, sampled every 5 ms: a sample within the allowance is
        // an upper bound of what was live; one above it may be garbage of
        // bodies already answered, so the collector runs and what is left
        // is what was live at that moment.
        let peak = baseline;
        let collections = 0;
        const sample = () => {
          let now = used();
          if (now - baseline >= ALLOWED && collections < 50) {
            collections++;
            collectGarbage();
            now = used();
          }
          peak = Math.max(peak, now);
        };
        const sampler = setInterval(sample, 5);

        // 5 to 25 MB each, 1.5 GB offered at once.
        const sizes = Array.from(
          { length: FLOOD },
          (_, i) => 5 * MB + ((i * 7919) % 21) * MB,
        );
        const unsigned = sizes.map(size =>
          post(
            port,
            {
              'content-type': 'application/json',
              'x-github-event': 'push',
              'x-github-delivery': deliveryId(),
            },
            size,
          ),
        );
        const signedIds = Array.from({ length: SIGNED }, () => deliveryId());
        const signed = signedIds.map(async (id, i) => {
          await new Promise(r => setTimeout(r, i * 50));
          return deliverSigned(port, id);
        });
        const outcomes = await Promise.all(unsigned);
        const attempts = await Promise.all(signed);
        clearInterval(sampler);
        sample();

        // What is measured: live heap + external memory of this process
        // (the backend runs in it; the uploads share one chunk). Bodies being
        // read take at most 2 × BOUND (their chunks, then their
        // concatenation); the rest of the allowance covers the requests'
        // own objects. Garbage no longer counts (see sample): without that,
        // a collection that came late once made 221 MB of a loaded run.
        // With no bound, all of the 1.5 GB offered could be read at once.
        expect(peak - baseline).toBeLessThan(ALLOWED);

        // Unsigned: refused before reading (503 + Retry-After) or read
        // within the budget and refused for the missing signature (401).
        const refused = outcomes.filter(o => o.status === 503);
        expect(refused.length).toBeGreaterThan(FLOOD / 2);
        expect(refused.every(o => o.retryAfter === '5')).toBe(true);
        expect(outcomes.some(o => o.status === 401)).toBe(true);
        expect(
          outcomes.filter(o => o.status !== undefined && o.status < 400),
        ).toEqual([]);

        // Small signed deliveries use the headroom large bodies cannot
        // take: they are accepted, most of them at the first attempt.
        expect(attempts.filter(a => a === 1).length).toBeGreaterThan(
          SIGNED / 2,
        );
        const stored = await knex('webhook_deliveries').select('delivery_id');
        expect(stored.map(r => r.delivery_id)).toEqual(
          expect.arrayContaining(signedIds),
        );
        // Nothing unsigned was stored: the warm-up and the signed ones only.
        expect(stored).toHaveLength(SIGNED + 1);

        // Every reservation was given back: a large body is read again.
        const after = await post(
          port,
          { 'content-type': 'application/json', 'x-github-event': 'push' },
          20 * MB,
        );
        expect(after.status).toBe(401);
      } finally {
        await backend.stop();
      }
    },
  );
});
