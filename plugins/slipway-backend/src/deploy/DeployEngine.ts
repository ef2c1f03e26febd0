import {
  ConflictError,
  InputError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { validateGitRef } from '@slipway/plugin-slipway-node';
import { rollbackProblem } from '@slipway/plugin-slipway-common';
import { DeployStore } from './DeployStore';
import {
  ACTIVE_STATUSES,
  AppInput,
  AppRecord,
  DeploymentConfigSnapshot,
  DeploymentRecord,
} from './store/records';
import type { AppUpdate } from './store/AppStore';
import { DeployWorker } from './DeployWorker';
import { logCleanupFailure } from './cleanup';
import { statusOf, timedDockerCall } from './dockerCalls';
import { PipelineDeps } from './pipeline';
import { InstallationNames } from './names';
import { removeAppNetwork } from './steps/network';
import { removeContainer } from './steps/run';
import { effectiveResources } from './validation';

/**
 * The configuration a rollback runs with: the target's, with the app's
 * current secret env unless the request asks to restore the target's own
 * (both sealed). Current secrets never go to an image built from another
 * repository than the app's current one.
 */
function rollbackConfig(
  app: AppRecord,
  target: DeploymentRecord,
  restoreSecrets = false,
): DeploymentConfigSnapshot {
  if (restoreSecrets) return target.config;
  if (
    target.config.repoUrl !== app.repoUrl &&
    Object.keys(app.secretEnv).length
  ) {
    throw new ConflictError(
      `Deployment ${target.id} was built from ${target.config.repoUrl}, not from the app's current repository, so the app's current secret env is not given to it; pass restoreSecrets: true to run it with the secret env it had.`,
    );
  }
  return { ...target.config, secretEnv: app.secretEnv };
}

/**
 * What the HTTP API, the scaffolder handoff and auto-deploy do with apps and
 * deployments. Every method changes the database first and then wakes the
 * worker, so nothing is lost when this instance stops.
 */
export class DeployEngine {
  constructor(
    private readonly deps: PipelineDeps,
    private readonly worker: DeployWorker,
  ) {}

  get store(): DeployStore {
    return this.deps.store;
  }

  private get names(): InstallationNames {
    return new InstallationNames(this.deps.deployConfig.installationId);
  }

  /** Registers an app and queues its first deployment. */
  async createApp(
    input: AppInput,
  ): Promise<{ app: AppRecord; deployment: DeploymentRecord }> {
    this.deps.allowList.assertAllowed(input.repoUrl, 'deploy an app');
    effectiveResources(this.deps.deployConfig, input.name, input.resources);
    const result = await this.store.apps.createWithDeployment(input, {
      trigger: 'create',
    });
    await this.announceQueued(result.app, result.deployment, []);
    return result;
  }

  /**
   * Applies a patch. Changing `repoUrl` drops the secret env unless the
   * patch gives it again; the change is published as an `app_changed`
   * event naming the dropped variables (never their values).
   */
  async updateApp(name: string, patch: Partial<AppInput>): Promise<AppUpdate> {
    if (patch.repoUrl) {
      this.deps.allowList.assertAllowed(patch.repoUrl, 'deploy an app');
    }
    if (patch.resources !== undefined) {
      effectiveResources(this.deps.deployConfig, name, patch.resources);
    }
    const update = await this.store.apps.update(name, patch);
    if (update.previousRepoUrl !== undefined) {
      await this.deps.events.repoChanged(
        update.app,
        update.previousRepoUrl,
        update.droppedSecretEnvKeys,
      );
    }
    return update;
  }

  /**
   * Queues a deployment of the app's configuration at `ref`. With a
   * `dedupKey` already taken by a deployment of the app, nothing is queued
   * and the database's unique-key error is thrown (see
   * `DeploymentStore.findByDedupKey`).
   */
  async deploy(
    name: string,
    options: { ref?: string; trigger: string; dedupKey?: string } = {
      trigger: 'manual',
    },
  ): Promise<DeploymentRecord> {
    if (options.ref !== undefined) validateGitRef(options.ref);
    const app = await this.store.apps.require(name);
    this.deps.allowList.assertAllowed(app.repoUrl, 'deploy an app');
    const { deployment, superseded } = await this.store.deployments.queue(
      name,
      {
        ref: options.ref,
        trigger: options.trigger,
        dedupKey: options.dedupKey,
      },
    );
    await this.announceQueued(app, deployment, superseded);
    return deployment;
  }

  /**
   * Queues a deployment of an earlier deployment's image and configuration,
   * with no rebuild. Default target: the newest deployment before the one
   * serving that once served.
   */
  async rollback(
    name: string,
    toDeploymentId?: string,
    options: { restoreSecrets?: boolean } = {},
  ): Promise<DeploymentRecord> {
    const app = await this.store.apps.require(name);
    let target: DeploymentRecord | undefined;
    if (toDeploymentId !== undefined) {
      target = await this.store.deployments.require(String(toDeploymentId));
      if (target.app !== name) {
        throw new InputError(
          `Deployment ${toDeploymentId} belongs to app "${target.app}", not "${name}".`,
        );
      }
    } else {
      const history = await this.store.deployments.list({
        app: name,
        statuses: ['superseded'],
        limit: 50,
      });
      target = history.items.find(
        d => rollbackProblem(d, app.currentDeploymentId) === undefined,
      );
      if (!target) {
        throw new ConflictError(
          `App "${name}" has no earlier deployment that served; pass toDeploymentId or deploy a ref instead.`,
        );
      }
    }
    // The rule the UI offers its rollback buttons by (-common).
    const problem = rollbackProblem(target, app.currentDeploymentId);
    if (problem) throw new ConflictError(problem);
    const apiSeconds = this.deps.deployConfig.timeouts.dockerApiSeconds;
    // rollbackProblem refuses a target without an image.
    const imageTag = target.imageTag as string;
    const exists = await timedDockerCall(
      `inspecting image ${imageTag}`,
      apiSeconds,
      abortSignal =>
        this.deps.docker.getImage(imageTag).inspect({ abortSignal } as object),
    ).then(
      () => true,
      error => {
        if (statusOf(error) === 404) return false;
        throw new ServiceUnavailableError(
          `Could not check the image of deployment ${target.id}: ${
            (error as Error).message
          }`,
        );
      },
    );
    if (!exists) {
      throw new ConflictError(
        `The image ${target.imageTag} of deployment ${
          target.id
        } was removed (slipway.deploy.keepImages keeps the newest ${
          this.deps.deployConfig.keepImages
        }); deploy its commit ${target.commitSha ?? ''} instead.`,
      );
    }
    const { deployment, superseded } = await this.store.deployments.queue(
      name,
      {
        ref: target.commitSha ?? target.ref,
        trigger: 'rollback',
        imageTag: target.imageTag,
        commitSha: target.commitSha,
        rollbackOf: target.id,
        config: rollbackConfig(app, target, options.restoreSecrets),
      },
    );
    await this.announceQueued(app, deployment, superseded);
    return deployment;
  }

  /** Cancels a deployment that has not finished, at any step. */
  async cancel(id: string): Promise<DeploymentRecord> {
    const deployment = await this.store.deployments.require(id);
    if (
      deployment.status !== 'pending' &&
      !ACTIVE_STATUSES.includes(deployment.status)
    ) {
      throw new ConflictError(
        `Deployment ${id} has already finished (${deployment.status}); nothing to cancel.`,
      );
    }
    const updated = await this.store.deployments.requestCancel(id);
    if (updated.status === 'cancelled' && deployment.status === 'pending') {
      const app = await this.store.apps.get(deployment.app);
      if (app) {
        await this.deps.events.statusChanged(app, updated, 'cancelled', {
          error: updated.error,
        });
      }
      this.deps.signals.notify(id);
    } else {
      // Runs elsewhere: that instance sees the flag on its next heartbeat.
      this.worker.abort(id, 'cancel');
    }
    return updated;
  }

  /**
   * Removes the app, its containers, images and network, and its history.
   * Only this installation's Docker objects are touched.
   */
  async deleteApp(name: string): Promise<void> {
    await this.store.apps.require(name);
    const unfinished = await this.store.deployments.list({
      app: name,
      statuses: ['pending', ...ACTIVE_STATUSES],
      limit: 500,
    });
    for (const d of unfinished.items) {
      await this.store.deployments.requestCancel(d.id);
      this.worker.abort(d.id, 'cancel');
    }
    const { docker, deployConfig } = this.deps;
    const names = this.names;
    const apiSeconds = deployConfig.timeouts.dockerApiSeconds;
    const containers = await timedDockerCall(
      `listing the containers of app ${name}`,
      apiSeconds,
      abortSignal =>
        docker.listContainers({
          all: true,
          filters: JSON.stringify({ label: [`slipway.app=${name}`] }),
          abortSignal,
        } as object),
    );
    for (const c of containers.filter(x => names.owns(x.Labels))) {
      await removeContainer(
        docker,
        c.Id,
        this.deps.deployConfig.stopTimeoutSeconds,
      );
    }
    await this.store.apps.delete(name);
    const network = names.networkName(name);
    await removeAppNetwork(
      docker,
      network,
      apiSeconds,
      deployConfig.proxyContainer,
      this.deps.logger,
    ).catch(error =>
      logCleanupFailure(
        this.deps.logger,
        `remove network ${network} of deleted app ${name}`,
        error,
      ),
    );
    const images = await timedDockerCall(
      `listing the images of app ${name}`,
      apiSeconds,
      abortSignal =>
        docker.listImages({
          filters: JSON.stringify({
            reference: [`${names.imageRepository(name)}:*`],
          }),
          abortSignal,
        } as object),
    );
    for (const image of images) {
      await timedDockerCall(`removing image ${image.Id}`, apiSeconds, signal =>
        docker.getImage(image.Id).remove({ force: true, abortSignal: signal }),
      ).catch(error =>
        logCleanupFailure(
          this.deps.logger,
          `remove image ${
            image.RepoTags?.[0] ?? image.Id
          } of deleted app ${name}`,
          error,
        ),
      );
    }
  }

  private async announceQueued(
    app: AppRecord,
    deployment: DeploymentRecord,
    superseded: DeploymentRecord[],
  ) {
    for (const old of superseded) {
      await this.deps.events.statusChanged(app, old, 'superseded');
    }
    // After the `queued` event, so the live feed never shows the claim
    // before the request.
    await this.deps.events.statusChanged(app, deployment, 'pending');
    this.worker.wake();
  }
}
