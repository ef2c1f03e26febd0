import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { createTestDatabases } from '@slipway/test-utils';
import { Knex } from 'knex';
import { EntityRefResolver } from '../oasis/EntityRefResolver';
import { mapGithubDelivery, mapWorkflowRun } from '../oasis/githubMapping';
import { OasisEventStore, prepareEvent } from '../oasis/OasisEventStore';
import { VtidExtractor } from '../oasis/vtid';
import { insertGithubEvents } from '../webhooks/keyedEvents';
import { WebhookProcessor } from '../webhooks/WebhookProcessor';
import {
  newSha,
  pushPayload,
  workflowRunPayload,
} from './__testUtils__/githubPayloads';
import { createWatchStores } from '../watchStores';
import { TriggerStore } from './TriggerStore';
import { TriggerWorker } from './TriggerWorker';

jest.setTimeout(60_000);

const databases = createTestDatabases();
const vtid = VtidExtractor.fromConfig(new ConfigReader({}));
const logger = { warn: jest.fn(), info: jest.fn() } as any;

/** Stores a delivery's events the way the webhook does; returns the store. */
async function store(
  events: OasisEventStore,
  event: string,
  payload: Record<string, any>,
) {
  const mapped = mapGithubDelivery(event, payload, {
    deliveryId: `d-${Math.random()}`,
    vtid,
  });
  await events.knex.transaction(trx =>
    insertGithubEvents(
      trx,
      createWatchStores(events),
      mapped.events.map(e => ({
        row: prepareEvent(e.input),
        dedupKey: e.dedupKey,
      })),
    ),
  );
}

async function setup(databaseId: Parameters<typeof databases.init>[0]) {
  const knex: Knex = await databases.init(databaseId);
  const events = await OasisEventStore.create({ knex });
  return { knex, events, triggers: new TriggerStore(knex) };
}

describe('TriggerStore', () => {
  it.each(databases.eachSupportedId())(
    'records finished runs and branch pushes as pending, running runs as facts, and nothing else, on %p',
    async databaseId => {
      const { knex, events, triggers } = await setup(databaseId);
      const slug = 'Octo-Org/Recorded';
      const sha = newSha();
      await store(
        events,
        'workflow_run',
        workflowRunPayload({ slug, sha, status: 'in_progress' }),
      );
      await store(events, 'workflow_run', workflowRunPayload({ slug, sha }));
      await store(events, 'push', pushPayload({ slug, after: sha }));
      // A tag push, a branch deletion and a malformed sha record nothing.
      await store(events, 'push', {
        ...pushPayload({ slug, after: newSha() }),
        ref: 'refs/tags/main',
      });
      await store(events, 'push', {
        ...pushPayload({ slug, after: '0'.repeat(40) }),
        deleted: true,
      });
      await store(
        events,
        'workflow_run',
        workflowRunPayload({ slug, sha: 'main' }),
      );

      const rows = await knex('deploy_triggers').orderBy('id');
      expect(rows.map(r => [r.kind, r.state, r.status, r.branch])).toEqual([
        ['workflow_run', 'fact', 'in_progress', 'main'],
        ['workflow_run', 'pending', 'success', 'main'],
        ['push', 'pending', 'info', 'main'],
      ]);
      expect(rows[1]).toMatchObject({
        repo: 'octo-org/recorded',
        head_sha: sha,
        workflow: 'CI',
        workflow_path: '.github/workflows/ci.yml',
        run_event: 'push',
        head_repo: 'octo-org/recorded',
        origin: 'webhook',
      });
      expect(
        (await triggers.runsOfCommit('octo-org/recorded', sha)).map(
          r => r.status,
        ),
      ).toEqual(['in_progress', 'success']);
    },
  );

  it.each(databases.eachSupportedId())(
    'records the runs of Slipway’s own poller like a delivery’s, once, on %p',
    async databaseId => {
      const { knex, events } = await setup(databaseId);
      const processor = new WebhookProcessor({
        stores: createWatchStores(events),
        entityRefs: new EntityRefResolver({
          catalog: catalogServiceMock({ entities: [] }),
          auth: mockServices.auth(),
        }),
        vtid,
      });
      // The REST API's run object is the webhook's workflow_run.
      const { workflow_run: run } = workflowRunPayload({
        slug: 'octo-org/polled',
        sha: newSha(),
      });
      const poll = () =>
        processor.ingest(
          mapWorkflowRun(
            run,
            { repository: run.repository },
            { vtid },
            { polled: true },
          ),
        );
      expect(await poll()).toHaveLength(1);
      expect(await poll()).toEqual([]);
      expect(await knex('deploy_triggers')).toEqual([
        expect.objectContaining({
          origin: 'poll',
          delivery_id: null,
          state: 'pending',
          head_repo: 'octo-org/polled',
          run_event: 'push',
        }),
      ]);
    },
  );

  it.each(databases.eachSupportedId())(
    'gives a trigger to one claimer at a time, and again once a dead claimer’s lease has expired, on %p',
    async databaseId => {
      const { events, triggers } = await setup(databaseId);
      await store(
        events,
        'workflow_run',
        workflowRunPayload({ slug: 'octo-org/leased', sha: newSha() }),
      );
      const [claimed] = await triggers.claim('dead/1', 300, 10);
      expect(claimed.attempts).toBe(1);
      expect(await triggers.claim('alive/1', 60_000, 10)).toEqual([]);
      // The first claimer never completes; once its lease is over:
      const expiry = Date.now() + 300;
      for (let i = 0; i < 100 && Date.now() <= expiry; i++) {
        await new Promise(r => setTimeout(r, 10));
      }
      const [again] = await triggers.claim('alive/2', 60_000, 10);
      expect(again).toMatchObject({ id: claimed.id, attempts: 2 });
      // The dead claimer's late completion is refused; the new one's holds.
      expect(await triggers.complete(claimed.id, 'dead/1', [])).toBe(false);
      expect(
        await triggers.complete(claimed.id, 'alive/2', [{ decision: 'x' }]),
      ).toBe(true);
      expect(await triggers.decisionsOf(claimed.id)).toEqual([
        { decision: 'x' },
      ]);
      expect(await triggers.claim('alive/3', 1, 10)).toEqual([]);
    },
  );

  it.each(databases.eachSupportedId())(
    'a worker retries a trigger whose action fails, and gives up after its attempts, on %p',
    async databaseId => {
      const { events, triggers } = await setup(databaseId);
      await store(
        events,
        'workflow_run',
        workflowRunPayload({ slug: 'octo-org/poison', sha: newSha() }),
      );
      let calls = 0;
      const worker = new TriggerWorker({
        store: triggers,
        act: async () => {
          calls += 1;
          throw new Error('database hiccup');
        },
        logger,
        pollIntervalMs: 20,
        leaseMs: 1,
        maxAttempts: 3,
      });
      worker.start();
      try {
        const [row] = await (async () => {
          for (let i = 0; i < 500; i++) {
            const done = await events
              .knex('deploy_triggers')
              .where({ state: 'done' });
            if (done.length) return done;
            await new Promise(r => setTimeout(r, 20));
          }
          throw new Error('the trigger was never given up');
        })();
        expect(calls).toBe(3);
        expect(JSON.parse(row.decisions)).toEqual([
          { decision: 'error', reason: 'Gave up after 3 attempts.' },
        ]);
      } finally {
        await worker.stop();
      }
    },
  );
});
