import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import type { OasisEvent } from '@slipway/plugin-slipway-common';
import { DeployEngine } from '../deploy/DeployEngine';
import type { OasisEventSink } from '../oasis/types';
import { actOnTrigger } from './actOnTrigger';
import { TriggerStore } from './TriggerStore';
import { TriggerWorker } from './TriggerWorker';

/** Whether a committed event may come with an auto-deploy trigger. */
function mayTrigger(event: OasisEvent): boolean {
  return (
    event.source === 'github.actions' &&
    (event.kind === 'workflow_run' || event.kind === 'push')
  );
}

/**
 * Auto-deploy of this instance, from `slipway.autoDeploy`: the worker that
 * acts on the trigger outbox, woken by this instance's own commits of
 * GitHub events (`onCommit`). Returns `start` and `stop` for the lifecycle;
 * with `enabled: false` the instance records triggers but never acts.
 */
export function createAutoDeploy(options: {
  config: Config;
  /** The trigger outbox; the webhook's transactions write it. */
  triggers: TriggerStore;
  engine: DeployEngine;
  events: OasisEventSink & {
    onCommit(hook: (events: OasisEvent[]) => void): () => void;
  };
  entityRefForApp?: (app: string) => Promise<string | null>;
  logger: LoggerService;
}): { start(): void; stop(): Promise<void>; worker?: TriggerWorker } {
  const { config, logger } = options;
  const settings = config.getOptionalConfig('slipway.autoDeploy');
  if (settings?.getOptionalBoolean('enabled') === false) {
    logger.info(
      'slipway.autoDeploy.enabled is false: this instance records auto-deploy triggers but does not act on them',
    );
    return { start: () => {}, stop: async () => {} };
  }
  const { triggers } = options;
  const worker = new TriggerWorker({
    store: triggers,
    act: trigger =>
      actOnTrigger(
        {
          engine: options.engine,
          triggers,
          events: options.events,
          entityRefForApp: options.entityRefForApp,
          logger,
        },
        trigger,
      ),
    logger,
    pollIntervalMs: settings?.getOptionalNumber('pollIntervalMs') ?? 5000,
    retentionDays:
      config.getOptionalNumber('slipway.events.retentionDays') ?? 90,
  });
  let unsubscribe = () => {};
  return {
    worker,
    start() {
      unsubscribe = options.events.onCommit(events => {
        if (events.some(mayTrigger)) worker.wake();
      });
      worker.start();
    },
    async stop() {
      unsubscribe();
      await worker.stop();
    },
  };
}
