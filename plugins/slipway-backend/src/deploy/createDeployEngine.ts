import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { RepositoryAllowList } from '@slipway/plugin-slipway-node';
import type Docker from 'dockerode';
import { Knex } from 'knex';
import type { OasisEventSink } from '../oasis/types';
import { readDeployConfig } from './config';
import { DeployEngine } from './DeployEngine';
import { DeployStore } from './DeployStore';
import { DeployWorker } from './DeployWorker';
import { DeployEvents } from './events';
import { DeploymentSignals } from './logs';
import { PipelineDeps } from './pipeline';
import { secretBoxFromConfig } from './secrets/fromConfig';

/** The assembled deploy engine of one backend instance. */
export interface DeployEngineParts {
  engine: DeployEngine;
  worker: DeployWorker;
  signals: DeploymentSignals;
  store: DeployStore;
}

/**
 * Assembles store, worker and engine from config. The worker is not
 * started: call `worker.start()` when the backend is ready and
 * `worker.stop()` on shutdown.
 */
export function createDeployEngine(options: {
  config: Config;
  knex: Knex;
  docker: Docker;
  dockerEndpoint: string;
  logger: LoggerService;
  /** The engine's tables, when the caller already holds them. */
  store?: DeployStore;
  events?: OasisEventSink;
  /** The catalog entity of an app registered without an entityRef. */
  entityRefForApp?: (app: string) => Promise<string | null>;
}): DeployEngineParts {
  const store =
    options.store ??
    new DeployStore(
      options.knex,
      secretBoxFromConfig(options.config, {
        knex: options.knex,
        logger: options.logger,
      }),
    );
  const signals = new DeploymentSignals();
  const deps: PipelineDeps = {
    store,
    docker: options.docker,
    dockerEndpoint: options.dockerEndpoint,
    deployConfig: readDeployConfig(options.config),
    rootConfig: options.config,
    allowList: RepositoryAllowList.fromConfig(options.config),
    events: new DeployEvents(
      options.events,
      options.logger,
      options.entityRefForApp,
    ),
    signals,
    logger: options.logger,
  };
  const worker = new DeployWorker(deps);
  const engine = new DeployEngine(deps, worker);
  return { engine, worker, signals, store };
}
