/*
 * A replayed delivery (same body, new delivery id) and a reprocessed one
 * never queue a second deployment of the same commit.
 */
import { createTestDatabases } from '@slipway/test-utils';
import request from 'supertest';
import { deliveryId } from '../webhooks/__testUtils__/testBackend';
import {
  newSha,
  pushPayload,
  workflowRunPayload,
} from './__testUtils__/githubPayloads';
import {
  autoDeployments,
  createApp,
  deliver,
  service,
  startTriggerBackend,
  waitForDecisions,
} from './__testUtils__/triggerBackend';

jest.setTimeout(120_000);

const databases = createTestDatabases();

describe('replays and reprocessing', () => {
  it.each(databases.eachSupportedId())(
    'queue each commit once: replayed pushes and runs, a second green workflow, a reprocessed delivery, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const backend = await startTriggerBackend(knex);
      const { server } = backend;
      const slug = 'octo-org/replayed';
      const send = (event: string, payload: unknown, id?: string) =>
        deliver(server, event, payload, id);
      let decided = 0;
      /** The next decision, once the worker has made it. */
      const nextDecision = async () => {
        decided += 1;
        return (await waitForDecisions(server, 'replayed', decided))[
          decided - 1
        ].meta;
      };
      /** A red run of another commit: decided after everything before it. */
      const sentinel = async () => {
        await send(
          'workflow_run',
          workflowRunPayload({ slug, sha: newSha(), conclusion: 'failure' }),
        );
        expect(await nextDecision()).toMatchObject({ decision: 'skipped' });
      };
      try {
        await createApp(server, 'replayed', slug, {
          branch: 'main',
          requireGreenCi: false,
        });
        const sha = newSha();
        const push = pushPayload({ slug, after: sha });
        const first = deliveryId();
        expect((await send('push', push, first)).status).toBe(202);
        expect(await nextDecision()).toMatchObject({
          decision: 'queued',
          reason: 'Push to main.',
        });

        // The same push again under a new delivery id: stored as a
        // delivery, but the push is the same fact (its dedup key).
        const replay = await send('push', push);
        expect(replay.status).toBe(202);
        const run = workflowRunPayload({ slug, sha });
        await send('workflow_run', run);
        expect(await nextDecision()).toMatchObject({
          decision: 'duplicate',
          reason: expect.stringMatching(/was auto-deployed already/),
        });
        await send('workflow_run', run);
        await sentinel();
        const pushes = await request(server)
          .get('/api/slipway/events')
          .query({ kind: 'push', repo: slug })
          .set(service);
        expect(pushes.body.items).toHaveLength(1);
        expect(
          await knex('deploy_triggers').where({ head_sha: sha }),
        ).toHaveLength(2);

        // Reprocessing the first delivery changes nothing.
        const same = await request(server)
          .post(`/api/slipway/deliveries/${first}/reprocess`)
          .set(service);
        expect(same.status).toBe(200);
        expect(same.body.changed).toBe(false);

        // Reprocessing after its event changed (as after a mapping fix),
        // with its trigger gone (pruned): a new event, a new trigger, and
        // still no second deployment.
        const [pushEvent] = pushes.body.items;
        await knex('oasis_events')
          .where({ id: pushEvent.id })
          .update({ title: 'CICDL-PUSH-OLD-MAPPING' });
        await knex('deploy_triggers').where({ head_sha: sha }).delete();
        const changed = await request(server)
          .post(`/api/slipway/deliveries/${first}/reprocess`)
          .set(service);
        expect(changed.status).toBe(200);
        expect(changed.body.changed).toBe(true);
        expect(await nextDecision()).toMatchObject({ decision: 'duplicate' });

        const deployed = await autoDeployments(server, 'replayed');
        expect(deployed.map(d => d.ref)).toEqual([sha]);
      } finally {
        await backend.stop();
      }
    },
  );
});
