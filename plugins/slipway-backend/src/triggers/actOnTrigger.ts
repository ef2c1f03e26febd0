import { LoggerService } from '@backstage/backend-plugin-api';
import { isError } from '@backstage/errors';
import type { OasisEventInput } from '@slipway/plugin-slipway-common';
import { decideAutoDeploy } from '../deploy/autoDeploy';
import { DeployEngine } from '../deploy/DeployEngine';
import { AppRecord } from '../deploy/store/records';
import type { OasisEventSink } from '../oasis/types';
import { repoSlug } from '../oasis/repoSlug';
import { TriggerStore } from './TriggerStore';
import { TriggerFact } from './types';

/** What auto-deploy did with a trigger for one app, and why. */
export interface TriggerOutcome {
  app: string;
  decision: 'queued' | 'duplicate' | 'waiting' | 'skipped' | 'refused';
  reason: string;
  deploymentId?: string;
  /** Not the app's branch: recorded on the trigger, but no event. */
  quiet?: boolean;
}

/** What {@link actOnTrigger} needs. */
export interface TriggerActionDeps {
  engine: DeployEngine;
  triggers: TriggerStore;
  events?: OasisEventSink;
  /** The catalog entity of an app registered without an entityRef. */
  entityRefForApp?: (app: string) => Promise<string | null>;
  logger: LoggerService;
}

/** Errors that will not go away by trying again: the decision is final. */
const REFUSALS = [
  'InputError',
  'NotAllowedError',
  'NotFoundError',
  'ConflictError',
];

const TITLES: Record<TriggerOutcome['decision'], string> = {
  queued: 'DEPLOY-AUTO-QUEUED',
  duplicate: 'DEPLOY-AUTO-DUPLICATE',
  waiting: 'DEPLOY-AUTO-WAITING',
  skipped: 'DEPLOY-AUTO-SKIPPED',
  refused: 'DEPLOY-AUTO-REFUSED',
};

/**
 * Acts on one trigger for every app that auto-deploys from its repository:
 * decides, queues the commit where the decision says so (each commit at
 * most once per app: the deployments' unique dedup key holds it, whoever
 * races), and publishes each decision on the app's branch as a
 * `slipway.deploy` / `auto_deploy` event. Throws only for errors worth
 * retrying (the database); the trigger is then claimed again later.
 */
export async function actOnTrigger(
  deps: TriggerActionDeps,
  trigger: TriggerFact,
): Promise<TriggerOutcome[]> {
  const apps = (await deps.engine.store.apps.listWithAutoDeploy()).filter(
    app => repoSlug(app.repoUrl)?.toLowerCase() === trigger.repo,
  );
  if (apps.length === 0) return [];
  const runs = await deps.triggers.runsOfCommit(trigger.repo, trigger.headSha);
  const outcomes: TriggerOutcome[] = [];
  for (const app of apps) {
    const decision = decideAutoDeploy(
      app.autoDeploy!,
      repoSlug(app.repoUrl)!,
      trigger,
      runs,
    );
    let outcome: TriggerOutcome;
    if (decision.action === 'deploy') {
      outcome = await queue(deps, app, trigger, decision.reason);
    } else {
      outcome = {
        app: app.name,
        decision: decision.action === 'wait' ? 'waiting' : 'skipped',
        reason: decision.reason,
        quiet: decision.action === 'skip' ? decision.quiet : undefined,
      };
    }
    if (!outcome.quiet) await publishDecision(deps, app, trigger, outcome);
    outcomes.push(outcome);
  }
  return outcomes;
}

async function queue(
  deps: TriggerActionDeps,
  app: AppRecord,
  trigger: TriggerFact,
  reason: string,
): Promise<TriggerOutcome> {
  const dedupKey = `auto:${trigger.headSha}`;
  const duplicate = async () => {
    const holder = await deps.engine.store.deployments.findByDedupKey(
      app.name,
      dedupKey,
    );
    return holder
      ? {
          app: app.name,
          decision: 'duplicate' as const,
          deploymentId: holder.id,
          reason: `${trigger.headSha} was auto-deployed already, as deployment ${holder.id}; deploy it again by hand if needed.`,
        }
      : undefined;
  };
  // Saves a failing insert in the common case; the unique key decides races.
  const earlier = await duplicate();
  if (earlier) return earlier;
  try {
    const deployment = await deps.engine.deploy(app.name, {
      ref: trigger.headSha,
      trigger: 'auto',
      dedupKey,
    });
    deps.logger.info(
      `Auto-deploy of ${app.name} at ${trigger.headSha} (trigger ${trigger.id}): deployment ${deployment.id}`,
    );
    return {
      app: app.name,
      decision: 'queued',
      deploymentId: deployment.id,
      reason,
    };
  } catch (error) {
    const raced = await duplicate();
    if (raced) return raced;
    if (isError(error) && REFUSALS.includes(error.name)) {
      return { app: app.name, decision: 'refused', reason: error.message };
    }
    throw error;
  }
}

/** The decision as an OASIS event on the app's entity. */
async function publishDecision(
  deps: TriggerActionDeps,
  app: AppRecord,
  trigger: TriggerFact,
  outcome: TriggerOutcome,
): Promise<void> {
  if (!deps.events) return;
  try {
    const entityRef =
      app.entityRef ?? (await deps.entityRefForApp?.(app.name)) ?? null;
    await deps.events.publish(decisionEvent(trigger, outcome, entityRef));
  } catch (error) {
    deps.logger.warn(
      `Could not publish the auto-deploy decision for ${app.name} (trigger ${trigger.id}): ${error}`,
    );
  }
}

/** `slipway.deploy` / `auto_deploy`: what was decided for which run, why. */
export function decisionEvent(
  trigger: TriggerFact,
  outcome: TriggerOutcome,
  entityRef: string | null,
): OasisEventInput {
  let status: OasisEventInput['status'] = 'info';
  if (outcome.decision === 'skipped') status = 'skipped';
  if (outcome.decision === 'refused') status = 'failure';
  return {
    source: 'slipway.deploy',
    kind: 'auto_deploy',
    module: 'DEPLOY',
    status,
    title: TITLES[outcome.decision],
    ref: trigger.headSha,
    link: trigger.link,
    repo: trigger.repo,
    entityRef,
    meta: {
      app: outcome.app,
      decision: outcome.decision,
      reason: outcome.reason,
      deploymentId: outcome.deploymentId ?? null,
      headSha: trigger.headSha,
      branch: trigger.branch,
      trigger: {
        id: trigger.id,
        kind: trigger.kind,
        eventId: trigger.eventId,
        origin: trigger.origin,
        deliveryId: trigger.deliveryId,
        workflow: trigger.workflow,
        runId: trigger.runId,
        runAttempt: trigger.runAttempt,
        runEvent: trigger.runEvent,
        headRepository: trigger.headRepo,
        status: trigger.status,
      },
    },
  };
}
