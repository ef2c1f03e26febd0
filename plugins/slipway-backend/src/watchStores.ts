import {
  GithubPollStateStore,
  KnexGithubPollStateStore,
} from './cicd/GithubPollStateStore';
import { KnexOasisEventKeyStore } from './oasis/OasisEventKeyStore';
import type { OasisEventStore } from './oasis/OasisEventStore';
import { TriggerStore } from './triggers/TriggerStore';
import type { WebhookStores } from './webhooks/stores';
import { KnexWebhookDeliveryStore } from './webhooks/WebhookDeliveryStore';
import { KnexWebhookSourceStore } from './webhooks/WebhookSourceStore';

/**
 * The stores of the watch side, one per table: nothing else queries these
 * tables. The webhook writes a delivery through several of them in one
 * transaction; auto-deploy reads the triggers it wrote.
 */
export interface WatchStores extends WebhookStores {
  /** `deploy_triggers` (auto-deploy's outbox) */
  triggers: TriggerStore;
  /** `github_poll_state` */
  pollState: GithubPollStateStore;
}

/** The watch side's stores on the database of the events store. */
export function createWatchStores(events: OasisEventStore): WatchStores {
  const knex = events.knex;
  return {
    events,
    keys: new KnexOasisEventKeyStore(knex),
    triggers: new TriggerStore(knex),
    deliveries: new KnexWebhookDeliveryStore(knex),
    sources: new KnexWebhookSourceStore(knex),
    pollState: new KnexGithubPollStateStore(knex),
  };
}
