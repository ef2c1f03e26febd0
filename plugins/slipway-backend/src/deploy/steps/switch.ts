import type Docker from 'dockerode';
import type { CleanupStack } from '../cleanup';
import { DeployStore } from '../DeployStore';
import type { StartedContainer } from '../launch';
import type { PipelineRun } from '../PipelineRun';
import { DeploymentRecord } from '../store/records';
import { healthTimeoutSeconds, waitUntilHealthy } from './health';
import { removeContainer } from './run';

/** Options of {@link switchTraffic}. */
export interface SwitchOptions {
  store: DeployStore;
  docker: Docker;
  app: string;
  deploymentId: string;
  containerId: string;
  /** How long Docker may take to call the new container healthy. */
  dockerHealthTimeoutSeconds: number;
  drainSeconds: number;
  stopTimeoutSeconds: number;
  log: (line: string) => void;
  /** Called once the switch is committed, before the drain. */
  onSwitched?: (previous?: DeploymentRecord) => Promise<void>;
  signal: AbortSignal;
}

/** What {@link switchTraffic} did. */
export interface SwitchResult {
  switched: boolean;
  previous?: DeploymentRecord;
  /** Set when the switch was undone: why the new container failed. */
  revertedBecause?: string;
}

/**
 * Step 5 — switch: the HTTP-healthy new deployment becomes the app's current
 * one and the previous one `superseded`, in one transaction, so the API
 * hands out the new URL at once. Traefik routes by Docker health, so the old
 * container keeps serving until Docker calls the new one healthy too, then
 * for a short drain; only then does it get SIGTERM. If Docker calls the new
 * container unhealthy first, the switch is undone and the old one never
 * stopped serving.
 */
export async function switchTraffic(
  options: SwitchOptions,
): Promise<SwitchResult> {
  const { store, docker, log } = options;
  const result = await store.deployments.switchTo(
    options.app,
    options.deploymentId,
  );
  if (!result.switched) return result;
  const previous = result.previous;
  await options.onSwitched?.(previous);
  if (!previous?.containerId) {
    log('Switched (no earlier deployment was serving)');
    return result;
  }

  try {
    await waitUntilHealthy({
      docker,
      containerId: options.containerId,
      url: '',
      path: undefined,
      timeoutSeconds: options.dockerHealthTimeoutSeconds,
      intervalMs: 100,
      dockerHealth: 'require',
      log,
      signal: options.signal,
    });
  } catch (error) {
    const reason = `switch failed: ${(error as Error).message}`;
    const reverted = await store.deployments.revertSwitch(
      options.app,
      options.deploymentId,
      previous.id,
      reason,
    );
    if (reverted) {
      log(`${reason}; deployment ${previous.id} keeps serving`);
      return { switched: true, previous, revertedBecause: reason };
    }
    // A newer deployment switched meanwhile: the previous one is replaced
    // either way and must not be left running.
    log(`${reason}; a newer deployment already replaced this one`);
  }

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
  return result;
}

/**
 * The switch step of the pipeline. Once the switch is committed the new
 * container serves: its cleanup is released from the run (no later failure
 * may remove it) and kept aside, to be run only if the switch is undone.
 * Returns whether the new deployment now serves.
 */
export async function switchStep(
  run: PipelineRun,
  started: StartedContainer,
  onServing?: () => void,
): Promise<'serving' | 'reverted'> {
  const { deps } = run;
  run.stepName = 'switch';
  run.throwIfAborted();
  let serving: CleanupStack | undefined;
  const { switched, previous, revertedBecause } = await switchTraffic({
    store: deps.store,
    docker: deps.docker,
    app: run.claimed.app,
    deploymentId: run.id,
    containerId: started.containerId,
    dockerHealthTimeoutSeconds: healthTimeoutSeconds(run),
    signal: run.signal,
    drainSeconds: deps.deployConfig.drainSeconds,
    stopTimeoutSeconds: deps.deployConfig.stopTimeoutSeconds,
    log: run.log,
    // Events go out before the drain so the feed shows the switch at once.
    onSwitched: async prev => {
      serving = run.cleanup.release();
      run.deployment = { ...run.deployment, status: 'running' };
      deps.signals.notify(run.id);
      onServing?.();
      await run.announce(run.deployment, 'running');
      if (prev) await run.announce(prev, 'superseded');
    },
  });
  if (!switched) throw new Error('the deployment was ended by someone else');
  if (!revertedBecause) return 'serving';
  // Its URL was handed out between the switch and the undo: drain it like
  // any replaced container, then remove it (and its image).
  await new Promise(r => setTimeout(r, deps.deployConfig.drainSeconds * 1000));
  await serving?.unwind();
  await run.flushLog();
  await run.announce(run.deployment, 'failed', { error: revertedBecause });
  if (previous) await run.announce(previous, 'running');
  return 'reverted';
}
