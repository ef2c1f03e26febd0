import { randomUUID } from 'node:crypto';
import { errorMessage, logCleanupFailure } from './cleanup';
import { ACTIVE_STATUSES, DeploymentRecord } from './store/records';
import { InstallationNames } from './names';
import { AbortReason, PipelineDeps, runPipeline } from './pipeline';
import { reconcilePublishedUrls } from './publishedUrls';
import { reconcileAtStart } from './reconcile';
import { removeContainer } from './steps/run';

/**
 * Claims pending deployments and runs them. A queued deployment starts at
 * once through {@link DeployWorker.wake}; a slow safety poll picks up work
 * queued by another instance and abandoned deployments. All state lives in
 * the database, so any number of instances can share it.
 */
export class DeployWorker {
  readonly instanceId = randomUUID();
  private readonly running = new Map<
    string,
    { controller: AbortController; done: Promise<void> }
  >();
  /** Deployments holding a build slot (not yet serving). */
  private readonly building = new Set<string>();
  private claiming: Promise<void> | undefined;
  private claimAgain = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private stopped = true;

  constructor(private readonly deps: PipelineDeps) {}

  /**
   * Recovers abandoned deployments, reconciles what a crash left (a second
   * container serving an app, checkouts), then starts claiming.
   */
  async start(): Promise<void> {
    this.stopped = false;
    await this.recover().catch(error =>
      this.deps.logger.warn(
        `Deploy recovery failed: ${(error as Error).message}`,
      ),
    );
    await reconcileAtStart(this.deps);
    // The engine may have restarted the serving containers meanwhile.
    await reconcilePublishedUrls(this.deps).catch(error =>
      this.deps.logger.warn(
        `Could not check published ports at start: ${errorMessage(error)}`,
      ),
    );
    const heartbeatMs = Math.max(
      100,
      Math.min(2000, this.deps.deployConfig.staleAfterMs / 4),
    );
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), heartbeatMs);
    this.pollTimer = setInterval(() => {
      void this.recover()
        .catch(error =>
          this.deps.logger.warn(
            `Deploy recovery failed: ${errorMessage(error)}`,
          ),
        )
        .then(() => this.wake())
        .then(() => reconcilePublishedUrls(this.deps))
        .catch(error =>
          this.deps.logger.debug(
            `Could not check published ports: ${(error as Error).message}`,
          ),
        );
    }, this.deps.deployConfig.pollIntervalMs);
    this.wake();
  }

  /**
   * Claims as much work as the limits allow, now. Concurrent calls coalesce
   * into one more round, so no wake-up is lost.
   */
  wake(): void {
    if (this.stopped) return;
    if (this.claiming) {
      this.claimAgain = true;
      return;
    }
    this.claiming = this.claimLoop().finally(() => {
      this.claiming = undefined;
      if (this.claimAgain) {
        this.claimAgain = false;
        this.wake();
      }
    });
  }

  /** Resolves when the current claim round (if any) has finished. */
  async idle(): Promise<void> {
    await this.claiming;
  }

  private async claimLoop(): Promise<void> {
    const max = this.deps.deployConfig.maxConcurrentBuilds;
    // Bounded: at most `max` claims per round.
    for (let i = 0; i < max && !this.stopped; i++) {
      if (this.building.size >= max) return;
      let claimed: DeploymentRecord | undefined;
      try {
        claimed = await this.deps.store.deployments.claimNext(
          this.instanceId,
          max,
        );
      } catch (error) {
        this.deps.logger.warn(
          `Could not claim a deployment: ${(error as Error).message}`,
        );
        return;
      }
      if (!claimed) return;
      this.launch(claimed);
    }
  }

  private launch(deployment: DeploymentRecord): void {
    const controller = new AbortController();
    const id = deployment.id;
    this.building.add(id);
    const releaseSlot = () => {
      if (this.building.delete(id)) this.wake();
    };
    const done = runPipeline(
      this.deps,
      deployment,
      controller.signal,
      releaseSlot,
    )
      .catch(error => this.endCrashed(id, error))
      .finally(() => {
        this.running.delete(id);
        releaseSlot();
        this.wake();
      });
    this.running.set(id, { controller, done });
  }

  /** Aborts a deployment this instance runs; false if it runs elsewhere. */
  abort(deploymentId: string, reason: AbortReason): boolean {
    const entry = this.running.get(deploymentId);
    if (!entry) return false;
    entry.controller.abort(reason);
    return true;
  }

  private async heartbeat(): Promise<void> {
    if (this.stopped || !this.running.size) return;
    try {
      const cancelled = await this.deps.store.deployments.heartbeat([
        ...this.running.keys(),
      ]);
      cancelled.forEach(id => this.abort(id, 'cancel'));
    } catch (error) {
      this.deps.logger.warn(
        `Deploy heartbeat failed: ${(error as Error).message}`,
      );
    }
  }

  /**
   * Fails deployments whose worker stopped (a crashed or killed instance)
   * and removes the container and image they left behind. The serving
   * deployment is never touched: only unfinished ones are considered.
   */
  async recover(): Promise<string[]> {
    const { store, deployConfig } = this.deps;
    const abandoned = (
      await store.deployments.findAbandoned(deployConfig.staleAfterMs)
    ).filter(d => !this.running.has(d.id));
    const recovered: string[] = [];
    for (const deployment of abandoned) {
      const message = `Interrupted by a restart: the backend instance running this deployment stopped during ${deployment.status}; its container and image were removed. Deploy again.`;
      if (await this.endUnfinished(deployment, 'interrupted', message)) {
        recovered.push(deployment.id);
      }
    }
    return recovered;
  }

  /**
   * A pipeline that threw instead of ending its deployment (its own
   * bookkeeping failed, e.g. the database went away mid-run). The
   * deployment is ended here, what it created removed, rather than left
   * active until recovery would call it interrupted by a restart. Once it
   * serves (switched), nothing is touched.
   */
  private async endCrashed(id: string, error: unknown): Promise<void> {
    const reason = errorMessage(error);
    this.deps.logger.error(`Deployment ${id} crashed: ${reason}`);
    try {
      const deployment = await this.deps.store.deployments.get(id);
      if (!deployment || !ACTIVE_STATUSES.includes(deployment.status)) return;
      await this.endUnfinished(
        deployment,
        'crashed',
        `The deploy engine failed during ${deployment.status}: ${reason}. Its container and image were removed; deploy again.`,
      );
    } catch (cause) {
      // Recovery ends it once its heartbeat is stale.
      this.deps.logger.error(
        `Could not end crashed deployment ${id}: ${errorMessage(cause)}`,
      );
    }
  }

  /**
   * Removes the container and image an unfinished deployment left, then
   * ends it `failed` with `message`. False when it was no longer active
   * (ended meanwhile, e.g. by another instance). The serving deployment is
   * never passed here: only active ones are.
   */
  private async endUnfinished(
    deployment: DeploymentRecord,
    why: 'interrupted' | 'crashed',
    message: string,
  ): Promise<boolean> {
    const { store, docker, events, deployConfig } = this.deps;
    // Clean up first: once the deployment reads `failed`, nothing of it
    // is left. Removal is idempotent if another instance recovers too.
    const container = new InstallationNames(
      deployConfig.installationId,
    ).containerName(deployment.app, deployment.id);
    await removeContainer(docker, container, 2).catch(error =>
      logCleanupFailure(
        this.deps.logger,
        `remove container ${container} of ${why} deployment ${deployment.id}`,
        error,
      ),
    );
    const image = deployment.imageTag;
    if (!deployment.rollbackOf && image) {
      await docker
        .getImage(image)
        .remove({ force: true })
        .catch(error =>
          logCleanupFailure(
            this.deps.logger,
            `remove image ${image} of ${why} deployment ${deployment.id}`,
            error,
          ),
        );
    }
    const ended = await store.deployments.transition(
      deployment.id,
      ACTIVE_STATUSES,
      'failed',
      { error: message },
    );
    if (!ended) return false;
    await store.logs.append(deployment.id, [
      { step: why === 'crashed' ? 'engine' : 'recovery', line: message },
    ]);
    this.deps.signals.notify(deployment.id);
    const app = await store.apps.get(deployment.app);
    if (app) {
      await events.statusChanged(app, deployment, 'failed', {
        error: message,
      });
    }
    return true;
  }

  /**
   * Stops claiming and ends what runs here: each deployment is marked
   * failed with a clear message and its container and image are removed.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.pollTimer);
    clearInterval(this.heartbeatTimer);
    await this.claiming;
    const entries = [...this.running.values()];
    entries.forEach(e => e.controller.abort('shutdown'));
    // Bounded, and the timer is cleared: a pending 15 s timer would keep
    // the process (a test worker, a CLI) alive after everything stopped.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(entries.map(e => e.done)),
      new Promise(resolve => {
        timer = setTimeout(resolve, 15000);
      }),
    ]);
    clearTimeout(timer);
  }
}
