import type { Deployment } from '@slipway/plugin-slipway-common';
import { Knex } from 'knex';
import type { DeploymentLookup } from './CicdStatusService';

/**
 * The deployment block of `GET /cicd/status`: the deployment serving the
 * entity's app (or, before one serves, its latest). The app is the one
 * registered for the entity (`entity_ref`), or else the one the entity
 * names with `slipway.dev/app`.
 */
export function createDeploymentLookup(options: {
  knex: Knex;
  getDeployment: (id: string) => Promise<Deployment | undefined>;
  toPublic: (deployment: any) => Deployment;
  appForEntity?: (entityRef: string) => Promise<string | null>;
}): DeploymentLookup {
  const { knex, getDeployment, toPublic, appForEntity } = options;
  return async entityRef => {
    let app = await knex('apps')
      .whereRaw('lower(entity_ref) = ?', [entityRef.toLowerCase()])
      .orderBy('updated_at', 'desc')
      .first('name', 'current_deployment_id');
    const named = app ? null : await appForEntity?.(entityRef);
    if (named) {
      app = await knex('apps')
        .where('name', named)
        .first('name', 'current_deployment_id');
    }
    if (!app) {
      return null;
    }
    let id: string | undefined = app.current_deployment_id
      ? String(app.current_deployment_id)
      : undefined;
    if (!id) {
      const latest = await knex('deployments')
        .where('app', app.name)
        .orderBy('id', 'desc')
        .first('id');
      id = latest ? String(latest.id) : undefined;
    }
    const deployment = id ? await getDeployment(id) : undefined;
    return deployment ? toPublic(deployment) : null;
  };
}
