import fs from 'node:fs/promises';
import path from 'node:path';
import { timedDockerCall } from './dockerCalls';
import { InstallationNames } from './names';
import { PipelineDeps } from './pipeline';
import { ACTIVE_STATUSES } from './store/records';
import { removeContainer } from './steps/run';
import {
  parseSourceDirName,
  removeSource,
  sourceDirsPrefix,
} from './steps/source';

/** What {@link reconcileAtStart} removed. */
export interface ReconcileReport {
  /** Names of removed containers. */
  containers: string[];
  /** Removed checkout directories. */
  sourceDirs: string[];
}

type Deps = Pick<PipelineDeps, 'store' | 'docker' | 'deployConfig' | 'logger'>;

/**
 * After a crash between the switch and the stop of the old container, an
 * app has two containers serving. For every app of this database, each of
 * this installation's containers stays only if it belongs to the app's
 * current deployment or to one still under way (another instance may be
 * running it); the others are stopped and removed. Containers of apps this
 * database does not know and of other installations are left alone.
 */
export async function reconcileContainers(deps: Deps): Promise<string[]> {
  const { store, docker, deployConfig } = deps;
  const names = new InstallationNames(deployConfig.installationId);
  const containers = (
    await timedDockerCall(
      'list containers',
      deployConfig.timeouts.dockerApiSeconds,
      abortSignal =>
        docker.listContainers({
          all: true,
          filters: JSON.stringify({
            label: ['slipway.app', 'slipway.deployment'],
          }),
          abortSignal,
        } as object),
    )
  ).filter(c => names.owns(c.Labels));
  const removed: string[] = [];
  for (const c of containers) {
    const app = await store.apps.get(c.Labels['slipway.app']);
    const deploymentId = c.Labels['slipway.deployment'];
    if (!app || deploymentId === app.currentDeploymentId) continue;
    const deployment = await store.deployments.get(deploymentId);
    if (deployment?.app === app.name) {
      if (['pending', ...ACTIVE_STATUSES].includes(deployment.status)) continue;
    }
    const name = c.Names?.[0]?.replace(/^\//, '') ?? c.Id;
    await removeContainer(
      docker,
      c.Id,
      deployConfig.stopTimeoutSeconds,
      deployConfig.timeouts.dockerApiSeconds,
    );
    removed.push(name);
    deps.logger.info(
      `Removed container ${name} of app ${app.name}: deployment ${deploymentId} is not the one serving (left by an interrupted switch)`,
    );
  }
  return removed;
}

/** Whether a process with this id runs on this host (and is not this one). */
function otherProcessAlive(pid: number | undefined): boolean {
  if (pid === undefined || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes checkouts (`slipway-src-<installation>--<deployment>-<pid>-*`) of
 * this installation in workDir whose deployment is not under way and whose
 * creating process is gone: a crashed build leaves them behind. A checkout
 * of a live process is kept even when this database does not know its
 * deployment (another backend on this host shares the workDir).
 */
export async function removeLeftoverSources(deps: Deps): Promise<string[]> {
  const { store, deployConfig } = deps;
  const prefix = sourceDirsPrefix(deployConfig.installationId);
  const entries = await fs
    .readdir(deployConfig.workDir, { withFileTypes: true })
    .catch(error => {
      // No workDir yet: nothing was ever checked out there.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        deps.logger.warn(
          `Could not look for leftover checkouts in ${deployConfig.workDir}: ${
            (error as Error).message
          }`,
        );
      }
      return [];
    });
  const removed: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || !entry.name.startsWith(prefix)) continue;
    const parsed = parseSourceDirName(entry.name.slice(prefix.length));
    if (!parsed || otherProcessAlive(parsed.pid)) continue;
    const deployment = await store.deployments.get(parsed.deploymentId);
    if (deployment && ACTIVE_STATUSES.includes(deployment.status)) continue;
    await removeSource(
      path.join(deployConfig.workDir, entry.name),
      deps.logger,
    );
    removed.push(entry.name);
  }
  return removed;
}

/** Containers first, then checkouts; each part is tried on its own. */
export async function reconcileAtStart(deps: Deps): Promise<ReconcileReport> {
  const warn = (what: string) => (error: unknown) => {
    deps.logger.warn(`Could not ${what}: ${(error as Error).message}`);
    return [] as string[];
  };
  const containers = await reconcileContainers(deps).catch(
    warn('reconcile containers'),
  );
  const sourceDirs = await removeLeftoverSources(deps).catch(
    warn('remove leftover checkouts'),
  );
  return { containers, sourceDirs };
}
