import type { Deployment } from '@slipway/plugin-slipway-common';
import { Knex } from 'knex';
import type { DeploymentLookup } from './CicdStatusService';

/**
 * The deployment block of `GET /cicd/status`: the deployment serving the
 * entity's app (or, before one serves, its latest), found through the
 * `entity_ref` the deploy engine keeps on each app.
 */
export function createDeploymentLookup(options: {
  knex: Knex;
  getDeployment: (id: string) => Promise<Deployment | undefined>;
  toPublic: (deployment: any) => Deployment;
}): DeploymentLookup {
  const { knex, getDeployment, toPublic } = options;
  return async entityRef => {
    const app = await knex('apps')
      .whereRaw('lower(entity_ref) = ?', [entityRef.toLowerCase()])
      .orderBy('updated_at', 'desc')
      .first('name', 'current_deployment_id');
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
