import { mockCredentials } from '@backstage/backend-test-utils';
import { createTestDatabases } from '@slipway/test-utils';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { signGithubPayload } from './signature';
import {
  deliveryId,
  sendDelivery,
  startWatchBackend,
  TEST_SECRET,
} from './__testUtils__/testBackend';

jest.setTimeout(180_000);

const databases = createTestDatabases();

const examples: Array<{
  name: string;
  examples: any[];
}> = require('@octokit/webhooks-examples/api.github.com/index.json');

describe('POST /webhooks/github refusals', () => {
  it.each(databases.eachSupportedId())(
    'refuses unsigned, wrongly signed, malformed and oversized deliveries and stores nothing on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const { server } = await startWatchBackend({
        knex,
        config: {
          slipway: {
            github: { webhookSecrets: ['old-secret', TEST_SECRET] },
            cicd: { polling: { enabled: false } },
          },
        },
      });
      const payload = examples.find(e => e.name === 'push')!.examples[0];
      const body = JSON.stringify(payload);
      const post = () =>
        request(server)
          .post('/api/slipway/webhooks/github')
          .set('content-type', 'application/json');

      // Missing and wrong signatures.
      let r = await post()
        .set('x-github-event', 'push')
        .set('x-github-delivery', deliveryId())
        .send(body);
      expect(r.status).toBe(401);
      expect(r.body.error.message).toMatch(/X-Hub-Signature-256/);
      r = await post()
        .set('x-github-event', 'push')
        .set('x-github-delivery', deliveryId())
        .set('x-hub-signature-256', signGithubPayload('wrong', body))
        .send(body);
      expect(r.status).toBe(401);
      // Signed over other bytes than sent.
      r = await post()
        .set('x-github-event', 'push')
        .set('x-github-delivery', deliveryId())
        .set('x-hub-signature-256', signGithubPayload(TEST_SECRET, `${body} `))
        .send(body);
      expect(r.status).toBe(401);
      // Missing headers and malformed JSON, correctly signed.
      r = await post()
        .set('x-github-delivery', deliveryId())
        .set('x-hub-signature-256', signGithubPayload(TEST_SECRET, body))
        .send(body);
      expect(r.status).toBe(400);
      expect(r.body.error.message).toMatch(/X-GitHub-Event/);
      r = await post()
        .set('x-github-event', 'push')
        .set('x-hub-signature-256', signGithubPayload(TEST_SECRET, body))
        .send(body);
      expect(r.status).toBe(400);
      expect(r.body.error.message).toMatch(/X-GitHub-Delivery/);
      const broken = '{"ref": ';
      r = await post()
        .set('x-github-event', 'push')
        .set('x-github-delivery', deliveryId())
        .set('x-hub-signature-256', signGithubPayload(TEST_SECRET, broken))
        .send(broken);
      expect(r.status).toBe(400);
      expect(r.body.error.message).toMatch(/not valid JSON/);
      // Over 25 MB: refused from Content-Length before the body is read,
      // and, streamed without a length, once the limit is crossed.
      const size = 25 * 1024 * 1024 + 10;
      const sendHuge = (chunked: boolean) =>
        new Promise<number>((resolve, reject) => {
          const address = server.address() as AddressInfo;
          const req = http.request({
            host: '127.0.0.1',
            port: address.port,
            method: 'POST',
            path: '/api/slipway/webhooks/github',
            timeout: 30_000,
            headers: {
              'content-type': 'application/json',
              ...(chunked ? {} : { 'content-length': size }),
              'x-github-event': 'push',
              'x-github-delivery': deliveryId(),
              'x-hub-signature-256': signGithubPayload(TEST_SECRET, 'x'),
            },
          });
          req.on('response', res => {
            resolve(res.statusCode!);
            res.resume();
            req.destroy();
          });
          req.on('timeout', () =>
            reject(new Error('no answer to an oversize delivery')),
          );
          req.on('error', error => reject(error));
          const chunk = Buffer.alloc(1024 * 1024, 0x20);
          if (chunked) {
            for (let sent = 0; sent < size; sent += chunk.length) {
              req.write(chunk);
            }
            req.end();
          } else {
            req.write(chunk);
          }
        });
      expect(await sendHuge(false)).toBe(413);
      expect(await sendHuge(true)).toBe(413);
      expect(await knex('webhook_deliveries').count({ c: '*' })).toEqual([
        { c: expect.anything() },
      ]);
      expect(
        Number((await knex('webhook_deliveries').count({ c: '*' }))[0].c),
      ).toBe(0);
      expect(Number((await knex('oasis_events').count({ c: '*' }))[0].c)).toBe(
        0,
      );

      // Rotation: the old secret still verifies; GitHub's form encoding works.
      r = await sendDelivery(server, 'push', payload, { secret: 'old-secret' });
      expect(r.status).toBe(202);
      const form = `payload=${encodeURIComponent(body)}`;
      r = await post()
        .set('content-type', 'application/x-www-form-urlencoded')
        .set('x-github-event', 'push')
        .set('x-github-delivery', deliveryId())
        .set('x-hub-signature-256', signGithubPayload(TEST_SECRET, form))
        .send(form);
      expect(r.status).toBe(202);
      expect(r.body.result).toBe('stored');

      // Unauthenticated on purpose: no Backstage credentials needed here,
      // while the rest of the API still requires them.
      r = await sendDelivery(server, 'push', payload).set(
        'authorization',
        mockCredentials.none.header(),
      );
      expect(r.status).toBe(202);
      const denied = await request(server)
        .get('/api/slipway/events')
        .set('authorization', mockCredentials.none.header());
      expect(denied.status).toBe(401);
      expect((await request(server).get('/api/slipway/health')).status).toBe(
        200,
      );
    },
  );

  it('answers 503 and stores nothing when no secret is configured', async () => {
    const knex = await databases.init('SQLITE_3');
    const { server } = await startWatchBackend({
      knex,
      config: { slipway: { cicd: { polling: { enabled: false } } } },
    });
    const payload = examples.find(e => e.name === 'push')!.examples[0];
    const r = await sendDelivery(server, 'push', payload);
    expect(r.status).toBe(503);
    expect(r.body.error.message).toMatch(/slipway.github.webhookSecrets/);
    expect(
      Number((await knex('webhook_deliveries').count({ c: '*' }))[0].c),
    ).toBe(0);
  });
});
