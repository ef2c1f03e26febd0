import type { OasisStatus } from '@slipway/plugin-slipway-common';

/**
 * A workflow run state or a push, as recorded from a signed GitHub delivery
 * (or Slipway's own poller) in the delivery's transaction. Auto-deploy acts
 * on these, never on events someone published.
 */
export interface TriggerFact {
  id: string;
  kind: 'workflow_run' | 'push';
  /** owner/name, lower case. */
  repo: string;
  headSha: string;
  branch: string | null;
  status: OasisStatus;
  workflow: string | null;
  workflowPath: string | null;
  runId: string | null;
  runAttempt: number | null;
  /** What started the run: push, workflow_dispatch, pull_request, ... */
  runEvent: string | null;
  /** owner/name of the run's head repository, lower case. */
  headRepo: string | null;
  link: string | null;
  eventId: string;
  origin: 'webhook' | 'poll';
  deliveryId: string | null;
  /** How often a worker has claimed it. */
  attempts: number;
}
