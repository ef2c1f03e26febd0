import { createTestDatabases } from '@slipway/test-utils';
import fc from 'fast-check';
import request from 'supertest';
import { signGithubPayload } from './signature';
import { startWatchBackend, TEST_SECRET } from './__testUtils__/testBackend';

jest.setTimeout(300_000);

const databases = createTestDatabases();

// HTTP trims the whitespace around header values, so a header that is
// malformed only by surrounding blanks arrives well-formed: the filters
// below judge headers as they arrive.

/** A request that must be refused: what is wrong with it, and its parts. */
const malformed = fc.oneof(
  // Anything at all, unsigned or signed with a wrong secret or bogus header.
  fc.record({
    kind: fc.constant('unsigned'),
    body: fc.oneof(
      fc.string(),
      fc.json(),
      fc.uint8Array({ maxLength: 2048 }).map(b => Buffer.from(b)),
    ),
    event: fc.option(fc.constantFrom('push', 'workflow_run', 'ping', ''), {
      nil: undefined,
    }),
    delivery: fc.option(fc.uuid(), { nil: undefined }),
    signature: fc.oneof(
      fc.constant(undefined),
      fc.string(),
      fc.hexaString({ minLength: 64, maxLength: 64 }).map(h => `sha256=${h}`),
      fc.string().map(secret => ({ secret: `${secret}x` })),
    ),
  }),
  // Correctly signed, but not a JSON object.
  fc.record({
    kind: fc.constant('not-an-object'),
    body: fc.oneof(
      fc.string().filter(s => !isJsonObject(s)),
      fc.json().filter(s => !isJsonObject(s)),
    ),
    event: fc.constant('push'),
    delivery: fc.uuid(),
    signature: fc.constant({ secret: TEST_SECRET }),
  }),
  // Correctly signed JSON object, with a missing or malformed header.
  fc.record({
    kind: fc.constant('bad-headers'),
    body: fc
      .dictionary(fc.string(), fc.jsonValue())
      .map(o => JSON.stringify(o)),
    event: fc.oneof(
      fc.constant(undefined),
      fc.constant(''),
      fc.string().filter(s => !/^[a-z][a-z0-9_]{0,63}$/.test(s.trim())),
    ),
    delivery: fc.oneof(fc.constant(undefined), fc.uuid()),
    signature: fc.constant({ secret: TEST_SECRET }),
  }),
  fc.record({
    kind: fc.constant('bad-delivery-id'),
    body: fc
      .dictionary(fc.string(), fc.jsonValue())
      .map(o => JSON.stringify(o)),
    event: fc.constantFrom('push', 'workflow_run'),
    delivery: fc.oneof(
      fc.constant(''),
      fc
        .string()
        .filter(s => !/^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/.test(s.trim())),
    ),
    signature: fc.constant({ secret: TEST_SECRET }),
  }),
);

function isJsonObject(text: string): boolean {
  try {
    const v = JSON.parse(text);
    return !!v && typeof v === 'object' && !Array.isArray(v);
  } catch {
    return false;
  }
}

/** Header values Node can send (others are refused by the client itself). */
function sendable(value: string): boolean {
  return /^[\t\x20-\x7e]*$/.test(value);
}

describe('POST /webhooks/github against malformed input', () => {
  it.each(databases.eachSupportedId())(
    'answers 4xx to 1,000 malformed deliveries, stores nothing and keeps serving on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const { server } = await startWatchBackend({ knex });
      const statuses = new Map<number, number>();
      let runs = 0;

      await fc.assert(
        fc.asyncProperty(malformed, async input => {
          const body = typeof input.body === 'string' ? input.body : input.body;
          let req = request(server)
            .post('/api/slipway/webhooks/github')
            .set('content-type', 'application/json');
          if (input.event !== undefined && sendable(input.event)) {
            req = req.set('x-github-event', input.event);
          }
          if (input.delivery !== undefined && sendable(input.delivery)) {
            req = req.set('x-github-delivery', input.delivery);
          }
          const sig = input.signature;
          if (typeof sig === 'string' && sendable(sig)) {
            req = req.set('x-hub-signature-256', sig);
          } else if (sig && typeof sig === 'object') {
            req = req.set(
              'x-hub-signature-256',
              signGithubPayload(sig.secret, body),
            );
          }
          const response = await req.send(body);
          runs++;
          statuses.set(
            response.status,
            (statuses.get(response.status) ?? 0) + 1,
          );
          expect(response.status).toBeGreaterThanOrEqual(400);
          expect(response.status).toBeLessThan(500);
        }),
        { numRuns: 1000 },
      );

      expect(runs).toBeGreaterThanOrEqual(1000);
      // Each class of refusal was exercised.
      expect(statuses.get(401)).toBeGreaterThan(100);
      expect(statuses.get(400)).toBeGreaterThan(100);
      expect(
        Number((await knex('webhook_deliveries').count({ c: '*' }))[0].c),
      ).toBe(0);
      expect(Number((await knex('oasis_events').count({ c: '*' }))[0].c)).toBe(
        0,
      );
      expect((await request(server).get('/api/slipway/health')).status).toBe(
        200,
      );
    },
  );
});
