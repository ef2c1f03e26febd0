import { Knex } from 'knex';
import { SecretBox } from './secrets/SecretBox';
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

  /**
   * Seals secret env on write and opens it for the container. The plugin
   * passes the configured keys; the default (a key of this process) suits
   * tests and tools with a throwaway database.
   */
  readonly secrets: SecretBox;

  constructor(knex: Knex, secrets: SecretBox = SecretBox.ephemeral()) {
    this.secrets = secrets;
    this.deployments = new DeploymentStore(knex);
    // An app's creation queues its first deployment in the same transaction.
    this.apps = new AppStore(knex, this.deployments, secrets);
    this.logs = new DeploymentLogStore(knex);
  }
}
