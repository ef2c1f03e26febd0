/*
 * What others may publish through POST /events, and the links events carry.
 */
import { mockCredentials } from '@backstage/backend-test-utils';
import { createTestDatabases } from '@slipway/test-utils';
import request from 'supertest';
import { workflowRunPayload } from '../triggers/__testUtils__/githubPayloads';
import {
  sendDelivery,
  startWatchBackend,
} from '../webhooks/__testUtils__/testBackend';

jest.setTimeout(60_000);

const databases = createTestDatabases();

const event = {
  module: 'AGENT',
  source: 'acme.deploy-watcher',
  kind: 'heartbeat',
  status: 'info',
  title: 'watcher alive',
};

describe('published events and links', () => {
  it.each(databases.eachSupportedId())(
    'POST /events keeps producers’ own source names and takes only http(s) links, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const backend = await startWatchBackend({ knex });
      const post = (body: object) =>
        request(backend.server)
          .post('/api/slipway/events')
          .set('authorization', mockCredentials.user.header())
          .send({ ...event, ...body });
      try {
        for (const source of ['acme.deploy-watcher', 'github-mirror.acme']) {
          expect((await post({ source })).status).toBe(201);
        }
        for (const link of [
          // eslint-disable-next-line no-script-url -- a hostile payload's link
          'javascript:alert(document.cookie)',
          ' JaVaScRiPt:alert(1)',
          'data:text/html,<script>alert(1)</script>',
          '/api/slipway/apps',
          'ftp://files.example.com/x',
        ]) {
          const refused = await post({ link });
          expect(refused.status).toBe(400);
          expect(refused.body.error.message).toBe(
            'OASIS event field link must be an absolute http:// or https:// URL (or null)',
          );
        }
        const linked = await post({ link: 'https://ci.example.com/runs/7' });
        expect(linked.status).toBe(201);
        expect(linked.body.link).toBe('https://ci.example.com/runs/7');
        expect((await post({ link: null })).status).toBe(201);
        const stored = await knex('oasis_events').select('link', 'source');
        expect(stored.map(r => r.link).filter(Boolean)).toEqual([
          'https://ci.example.com/runs/7',
        ]);
      } finally {
        await backend.stop();
      }
    },
  );

  it.each(databases.eachSupportedId())(
    'a signed delivery’s javascript: link is dropped, the event kept, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const backend = await startWatchBackend({ knex });
      try {
        const payload = workflowRunPayload({
          slug: 'octo-org/hostile',
          sha: 'a'.repeat(40),
          // eslint-disable-next-line no-script-url -- a hostile payload's link
          htmlUrl: 'javascript:fetch("/api/slipway/apps",{method:"DELETE"})',
        });
        const response = await sendDelivery(
          backend.server,
          'workflow_run',
          payload,
        );
        expect(response.status).toBe(202);
        expect(response.body.result).toBe('stored');
        const listed = await request(backend.server)
          .get('/api/slipway/events')
          .query({ repo: 'octo-org/hostile' })
          .set('authorization', mockCredentials.service.header());
        expect(listed.body.items).toHaveLength(1);
        expect(listed.body.items[0]).toMatchObject({
          kind: 'workflow_run',
          link: null,
        });
      } finally {
        await backend.stop();
      }
    },
  );
});
