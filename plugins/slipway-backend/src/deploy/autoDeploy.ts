import { LoggerService } from '@backstage/backend-plugin-api';
import type { OasisEvent } from '@slipway/plugin-slipway-common';
import type { OasisEventListeners } from '../oasis/types';
import { DeployEngine } from './DeployEngine';
import { ACTIVE_STATUSES } from './store/records';
import { repoSlug } from '../oasis/repoSlug';

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value ? value : undefined;
}

/** Head sha and branch of a GitHub event as the OASIS mapping stores them. */
export function headOf(event: OasisEvent): { sha?: string; branch?: string } {
  const meta = event.meta ?? {};
  const sha =
    text(meta.headSha) ?? text(meta.head_sha) ?? text(meta.after) ?? undefined;
  const rawBranch =
    text(meta.headBranch) ??
    text(meta.head_branch) ??
    text(meta.branch) ??
    text(event.ref);
  const branch = rawBranch?.replace(/^refs\/heads\//, '');
  return { sha, branch };
}

/**
 * Decides whether an event should deploy an app: a successful workflow run
 * on the app's auto-deploy branch; a push only when the app does not
 * require green CI.
 */
export function triggersAutoDeploy(
  event: OasisEvent,
  autoDeploy: { branch: string; requireGreenCi?: boolean },
): boolean {
  if (event.source !== 'github.actions') return false;
  const { sha, branch } = headOf(event);
  if (!sha || branch !== autoDeploy.branch) return false;
  if (event.kind === 'workflow_run') {
    return event.status === 'success';
  }
  if (event.kind === 'push') {
    return autoDeploy.requireGreenCi === false && !event.meta?.deleted;
  }
  return false;
}

/**
 * Listens to stored OASIS events and queues a deployment of the exact head
 * sha for every app whose `autoDeploy` matches. Returns the unsubscribe.
 */
export function startAutoDeploy(options: {
  engine: DeployEngine;
  listeners: OasisEventListeners;
  logger: LoggerService;
}): () => void {
  const { engine, logger } = options;
  return options.listeners.onEvent(async event => {
    if (event.source !== 'github.actions' || !event.repo) return;
    if (event.kind !== 'workflow_run' && event.kind !== 'push') return;
    try {
      await handle(event);
    } catch (error) {
      logger.warn(
        `Auto-deploy for event ${event.id} failed: ${(error as Error).message}`,
      );
    }
  });

  async function handle(event: OasisEvent) {
    const apps = await engine.store.apps.listWithAutoDeploy();
    const { sha } = headOf(event);
    for (const app of apps) {
      if (!app.autoDeploy || !sha) continue;
      if (repoSlug(app.repoUrl)?.toLowerCase() !== event.repo?.toLowerCase())
        continue;
      if (!triggersAutoDeploy(event, app.autoDeploy)) continue;
      // Several workflows succeeding on one commit deploy it once.
      const recent = await engine.store.deployments.list({
        app: app.name,
        statuses: ['pending', ...ACTIVE_STATUSES, 'running'],
        limit: 20,
      });
      if (recent.items.some(d => d.ref === sha || d.commitSha === sha)) {
        continue;
      }
      const deployment = await engine.deploy(app.name, {
        ref: sha,
        trigger: 'auto',
      });
      logger.info(
        `Auto-deploy of ${app.name} at ${sha} (event ${event.id}): deployment ${deployment.id}`,
      );
    }
  }
}
