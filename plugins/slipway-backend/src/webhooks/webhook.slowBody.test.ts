import { createTestDatabases } from '@slipway/test-utils';
import net, { AddressInfo } from 'node:net';
import { sendDelivery, startWatchBackend } from './__testUtils__/testBackend';

jest.setTimeout(60_000);

const databases = createTestDatabases();
const MB = 1024 * 1024;

/**
 * Opens a raw connection that announces `length` bytes of body, sends ten
 * and stalls; resolves with everything the server answered once it closes
 * the connection (or after `maxMs`, then with what came so far).
 */
function trickle(port: number, length: number, maxMs: number) {
  const socket = net.connect(port, '127.0.0.1');
  socket.write(
    [
      'POST /api/slipway/webhooks/github HTTP/1.1',
      'Host: 127.0.0.1',
      'Content-Type: application/json',
      'X-GitHub-Event: push',
      'X-GitHub-Delivery: 00000000-0000-4000-8000-00000000beef',
      'X-Hub-Signature-256: sha256=00',
      `Content-Length: ${length}`,
      '',
      '{"trickle"',
    ].join('\r\n'),
  );
  return new Promise<{ answer: string; closedAfterMs: number }>(resolve => {
    const started = Date.now();
    let answer = '';
    let timer: NodeJS.Timeout | undefined = undefined;
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ answer, closedAfterMs: Date.now() - started });
    };
    timer = setTimeout(done, maxMs);
    socket.on('data', chunk => {
      answer += chunk.toString('latin1');
    });
    socket.on('close', done);
    socket.on('error', done);
  });
}

describe('POST /webhooks/github with a body that trickles in', () => {
  it.each(databases.eachSupportedId())(
    'answers 408 after unverifiedBodyTimeoutSeconds, gives its share of the budget back and stores nothing, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const backend = await startWatchBackend({
        knex,
        config: {
          slipway: {
            github: {
              webhookSecrets: ['slipway-test-secret'],
              // The smallest budget: one trickling 1 MB body takes all of it.
              maxUnverifiedBytesInFlight: MB,
              unverifiedBodyTimeoutSeconds: 1,
            },
            cicd: { polling: { enabled: false } },
          },
        },
      });
      try {
        const { port } = backend.server.address() as AddressInfo;
        const slow = trickle(port, MB, 20_000);
        // While it holds the budget, even a signed delivery must wait.
        let held = await sendDelivery(backend.server, 'ping', { zen: 'x' });
        for (let i = 0; held.status !== 503 && i < 50; i++) {
          // The slow request may not have reserved yet: ask again.
          await new Promise(r => setTimeout(r, 20));
          held = await sendDelivery(backend.server, 'ping', { zen: 'x' });
        }
        expect(held.status).toBe(503);

        const { answer, closedAfterMs } = await slow;
        expect(answer).toMatch(/^HTTP\/1\.1 408 /);
        expect(answer).toContain('slipway.github.unverifiedBodyTimeoutSeconds');
        expect(closedAfterMs).toBeLessThan(15_000);

        const after = await sendDelivery(backend.server, 'ping', { zen: 'y' });
        expect(after.status).toBe(202);
        const stored = await knex('webhook_deliveries').select('delivery_id');
        expect(stored.map(row => row.delivery_id)).not.toContain(
          '00000000-0000-4000-8000-00000000beef',
        );
        expect(stored).toHaveLength(1);
      } finally {
        await backend.stop();
      }
    },
  );
});
