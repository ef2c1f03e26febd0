import type { OasisEventKeyStore } from '../oasis/OasisEventKeyStore';
import type { OasisEventStore } from '../oasis/OasisEventStore';
import type { TriggerStore } from '../triggers/TriggerStore';
import type { WebhookDeliveryStore } from './WebhookDeliveryStore';
import type { WebhookSourceStore } from './WebhookSourceStore';

/**
 * The stores a GitHub event is written through, in one transaction: the
 * event, its dedup key and its auto-deploy trigger.
 */
export interface GithubEventStores {
  /** `oasis_events` */
  events: OasisEventStore;
  /** `oasis_event_keys` */
  keys: OasisEventKeyStore;
  /** `deploy_triggers` */
  triggers: Pick<TriggerStore, 'record'>;
}

/** The stores of the webhook: its events, deliveries and hook sources. */
export interface WebhookStores extends GithubEventStores {
  /** `webhook_deliveries` */
  deliveries: WebhookDeliveryStore;
  /** `webhook_sources` */
  sources: WebhookSourceStore;
}
