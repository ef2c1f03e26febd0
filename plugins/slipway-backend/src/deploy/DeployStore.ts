import { Knex } from 'knex';
import { AppStore } from './store/AppStore';
import { DeploymentLogStore } from './store/DeploymentLogStore';
import { DeploymentStore } from './store/DeploymentStore';

/**
 * Database access of the deploy engine, handed around as one object. Each
 * table has its own store, so a call names what it touches:
 * `store.apps.require(name)`, `store.deployments.claimNext(...)`,
 * `store.logs.read(...)`.
 */
export class DeployStore {
  /** Apps and their configuration. */
  readonly apps: AppStore;
  /** Deployments, the worker's claims on them and the switch. */
  readonly deployments: DeploymentStore;
  /** What each deployment's steps printed. */
  readonly logs: DeploymentLogStore;

  constructor(knex: Knex) {
    this.deployments = new DeploymentStore(knex);
    // An app's creation queues its first deployment in the same transaction.
    this.apps = new AppStore(knex, this.deployments);
    this.logs = new DeploymentLogStore(knex);
  }
}
