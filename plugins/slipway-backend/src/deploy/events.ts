import { LoggerService } from '@backstage/backend-plugin-api';
import type {
  DeploymentStatus,
  OasisEventInput,
  OasisStatus,
} from '@slipway/plugin-slipway-common';
import type { OasisEventSink } from '../oasis/types';
import { repoSlug } from '../oasis/repoSlug';
import { AppRecord, DeploymentRecord } from './store/records';

type AppOfEvent = Pick<AppRecord, 'name' | 'repoUrl' | 'entityRef'>;

const OASIS_STATUS: Record<DeploymentStatus, OasisStatus> = {
  pending: 'queued',
  cloning: 'in_progress',
  building: 'in_progress',
  starting: 'in_progress',
  health_checking: 'in_progress',
  running: 'success',
  failed: 'failure',
  cancelled: 'cancelled',
  superseded: 'info',
};

/**
 * Turns every deployment status change into an OASIS event, so deploy steps
 * appear in the live feed beside CI runs. A failing sink is logged and never
 * fails the deployment.
 */
export class DeployEvents {
  constructor(
    private readonly sink: OasisEventSink | undefined,
    private readonly logger: LoggerService,
    /** The entity whose `slipway.dev/app` names an app, for apps without one. */
    private readonly entityRefForApp?: (app: string) => Promise<string | null>,
  ) {}

  /**
   * An app now deploys from another repository. Meta names the secret env
   * variables dropped with the change; values are never part of an event.
   */
  async repoChanged(
    app: AppOfEvent,
    previousRepoUrl: string,
    droppedSecretEnvKeys: string[],
  ): Promise<void> {
    await this.publish(app, `the repository change of app ${app.name}`, {
      kind: 'app_changed',
      status: 'info',
      title: 'APP-REPO-CHANGED',
      meta: {
        app: app.name,
        changed: ['repoUrl'],
        previousRepoUrl,
        repoUrl: app.repoUrl,
        droppedSecretEnvKeys,
      },
    });
  }

  async statusChanged(
    app: AppOfEvent,
    deployment: Pick<
      DeploymentRecord,
      'id' | 'ref' | 'commitSha' | 'imageTag' | 'url' | 'rollbackOf' | 'trigger'
    >,
    status: DeploymentStatus,
    extra: { error?: string; url?: string; commitSha?: string } = {},
  ): Promise<void> {
    await this.publish(app, `deployment ${deployment.id} (${status})`, {
      kind: 'deployment',
      status: OASIS_STATUS[status],
      title: `DEPLOY-${status.toUpperCase()}`,
      ref: extra.commitSha ?? deployment.commitSha ?? deployment.ref ?? null,
      link: extra.url ?? deployment.url ?? null,
      meta: {
        app: app.name,
        deploymentId: deployment.id,
        deploymentStatus: status,
        trigger: deployment.trigger,
        commitSha: extra.commitSha ?? deployment.commitSha,
        imageTag: deployment.imageTag,
        rollbackOf: deployment.rollbackOf,
        error: extra.error,
      },
    });
  }

  /** Publishes a `slipway.deploy` event of the app; a failure is logged. */
  private async publish(
    app: AppOfEvent,
    what: string,
    event: Pick<OasisEventInput, 'kind' | 'status' | 'title' | 'meta'> &
      Partial<Pick<OasisEventInput, 'ref' | 'link'>>,
  ): Promise<void> {
    if (!this.sink) return;
    try {
      const entityRef =
        app.entityRef ?? (await this.entityRefForApp?.(app.name)) ?? null;
      await this.sink.publish({
        source: 'slipway.deploy',
        module: 'DEPLOY',
        repo: repoSlug(app.repoUrl) ?? null,
        entityRef,
        ...event,
      });
    } catch (error) {
      this.logger.warn(
        `Could not publish the OASIS event for ${what}: ${
          (error as Error).message
        }`,
      );
    }
  }
}
