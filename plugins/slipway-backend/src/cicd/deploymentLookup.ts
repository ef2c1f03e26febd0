import type { Deployment } from '@slipway/plugin-slipway-common';
import type { DeployStore } from '../deploy/DeployStore';
import type { DeploymentRecord } from '../deploy/store/records';
import type { DeploymentLookup } from './CicdStatusService';

/**
 * The deployment block of `GET /cicd/status`: the deployment serving the
 * entity's app (or, before one serves, its latest). The app is the one
 * registered for the entity (`entity_ref`), or else the one the entity
 * names with `slipway.dev/app`. Reads go through the deploy engine's
 * stores, which own the `apps` and `deployments` tables.
 */
export function createDeploymentLookup(options: {
  store: Pick<DeployStore, 'apps' | 'deployments'>;
  toPublic: (deployment: DeploymentRecord) => Deployment;
  appForEntity?: (entityRef: string) => Promise<string | null>;
}): DeploymentLookup {
  const { store, toPublic, appForEntity } = options;
  return async entityRef => {
    let app = await store.apps.findByEntityRef(entityRef);
    if (!app) {
      const named = await appForEntity?.(entityRef);
      app = named ? await store.apps.get(named) : undefined;
    }
    if (!app) {
      return null;
    }
    const id =
      app.currentDeploymentId ?? (await store.deployments.latestIdOf(app.name));
    const deployment = id ? await store.deployments.get(id) : undefined;
    return deployment ? toPublic(deployment) : null;
  };
}
