import type Docker from 'dockerode';
import { DeploymentRecord, DeployStore } from '../DeployStore';
import { removeContainer } from './run';

/** Options of {@link switchTraffic}. */
export interface SwitchOptions {
  store: DeployStore;
  docker: Docker;
  app: string;
  deploymentId: string;
  drainSeconds: number;
  stopTimeoutSeconds: number;
  log: (line: string) => void;
  /** Called once the switch is committed, before the drain. */
  onSwitched?: (previous?: DeploymentRecord) => Promise<void>;
}

/**
 * Step 5 — switch: the healthy new deployment becomes the app's current one
 * and the previous one `superseded`, in one transaction. The old container
 * keeps serving for a short drain (requests already routed to it finish),
 * then gets SIGTERM and is removed. Returns false when the deployment was
 * cancelled before it could switch.
 */
export async function switchTraffic(
  options: SwitchOptions,
): Promise<{ switched: boolean; previous?: DeploymentRecord }> {
  const { store, docker, log } = options;
  const result = await store.switchTo(options.app, options.deploymentId);
  if (!result.switched) return result;
  const previous = result.previous;
  await options.onSwitched?.(previous);
  if (previous?.containerId) {
    log(
      `Switched; draining deployment ${previous.id} for ${options.drainSeconds} s before stopping it`,
    );
    await new Promise(resolve =>
      setTimeout(resolve, options.drainSeconds * 1000),
    );
    await removeContainer(
      docker,
      previous.containerId,
      options.stopTimeoutSeconds,
    ).catch(error =>
      log(
        `Could not remove the old container ${previous.containerId}: ${
          (error as Error).message
        }`,
      ),
    );
    log(`Stopped deployment ${previous.id}`);
  } else {
    log('Switched (no earlier deployment was serving)');
  }
  return result;
}
