import type { DeploymentStatus } from '@slipway/plugin-slipway-common';
import { CleanupStack } from './cleanup';
import type { DeployEvents } from './events';
import { DeploymentLogWriter } from './logs';
import { InstallationNames } from './names';
import type { PipelineDeps } from './pipeline';
import { AppRecord, DeploymentFields, DeploymentRecord } from './store/records';

/** The app as the events name it; a deleted app still has its name. */
export type PipelineApp = Pick<AppRecord, 'name' | 'repoUrl' | 'entityRef'>;

/**
 * One deployment going through the pipeline: what each step needs (the
 * claimed record, the log, the names, the abort signal) and the resources
 * created so far, registered on {@link PipelineRun.cleanup}. The status
 * itself lives in the database; `status` is what this run moved it to last.
 */
export class PipelineRun {
  readonly id: string;
  readonly names: InstallationNames;
  readonly logs: DeploymentLogWriter;
  readonly cleanup: CleanupStack;
  /** The deployment with the fields this run has set so far. */
  deployment: DeploymentRecord;
  /** The status this run last moved the deployment to. */
  status: DeploymentStatus = 'cloning';
  /** The step the deployment log and error messages name. */
  stepName = 'source';

  static async open(
    deps: PipelineDeps,
    claimed: DeploymentRecord,
    signal: AbortSignal,
  ): Promise<PipelineRun> {
    const app: PipelineApp = (await deps.store.apps.get(claimed.app)) ?? {
      name: claimed.app,
      repoUrl: claimed.config.repoUrl,
    };
    return new PipelineRun(deps, claimed, signal, app);
  }

  private constructor(
    readonly deps: PipelineDeps,
    readonly claimed: DeploymentRecord,
    readonly signal: AbortSignal,
    readonly app: PipelineApp,
  ) {
    this.id = claimed.id;
    this.deployment = claimed;
    this.names = new InstallationNames(deps.deployConfig.installationId);
    this.cleanup = new CleanupStack(deps.logger);
    this.logs = new DeploymentLogWriter(
      deps.store,
      deps.signals,
      claimed.id,
      deps.store.secrets.maskValues(claimed.app, claimed.config.secretEnv),
      deps.deployConfig.logMaxBytesPerDeployment,
      deps.logger,
    );
  }

  /** A rollback runs the image of an earlier deployment: no source, no build. */
  get isRollback(): boolean {
    return Boolean(this.claimed.rollbackOf && this.claimed.imageTag);
  }

  /** Bound of each Docker API call. */
  get apiSeconds(): number {
    return this.deps.deployConfig.timeouts.dockerApiSeconds;
  }

  /** Appends a line to the deployment's log under the current step. */
  readonly log = (line: string): void => this.logs.write(this.stepName, line);

  /** Throws the abort reason once the deployment was cancelled or stopped. */
  throwIfAborted(): void {
    if (this.signal.aborted) throw this.signal.reason;
  }

  /** Moves to the next status; fails when someone else ended the deployment. */
  async advance(
    to: DeploymentStatus,
    stepName: string,
    fields: DeploymentFields = {},
  ): Promise<void> {
    this.throwIfAborted();
    const moved = await this.deps.store.deployments.transition(
      this.id,
      [this.status],
      to,
      fields,
    );
    if (!moved) throw new Error('the deployment was ended by someone else');
    this.deployment = { ...this.deployment, ...fields, status: to };
    this.status = to;
    this.stepName = stepName;
    this.deps.signals.notify(this.id);
    await this.announce(this.deployment, to, fields);
  }

  /** Publishes a status change of this or another deployment of the app. */
  announce(
    deployment: DeploymentRecord,
    status: DeploymentStatus,
    extra: Parameters<DeployEvents['statusChanged']>[3] = {},
  ): Promise<void> {
    return this.deps.events.statusChanged(this.app, deployment, status, extra);
  }

  /** Stores the log and wakes followers. */
  async flushLog(): Promise<void> {
    await this.logs.flush();
    this.deps.signals.notify(this.id);
  }
}
