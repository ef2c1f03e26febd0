import { LoggerService } from '@backstage/backend-plugin-api';
import express from 'express';
import Router from 'express-promise-router';
import type Docker from 'dockerode';
import { Knex } from 'knex';
import { checkHealth } from './health';
import type { OasisEventStore } from '../oasis/OasisEventStore';

/** What the router needs; each feature area adds its own routes. */
export interface RouterOptions {
  logger: LoggerService;
  knex: Knex;
  docker: Docker;
  dockerEndpoint: string;
  /** The OASIS events store (events, stream and webhook routes). */
  oasisEvents?: OasisEventStore;
  /** Watch routes: webhooks, events, deliveries, CI/CD status. */
  watchRouter?: express.Router;
  /** Deploy engine routes (`/apps`, `/deployments`), with their own JSON parser. */
  deployRouter?: express.Router;
}

/**
 * The plugin's HTTP API under `/api/slipway`. Routes are grouped by feature;
 * the webhook needs the raw body, so no JSON parser is installed globally.
 */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const router = Router();

  router.get('/health', async (_req, res) => {
    const health = await checkHealth({
      knex: options.knex,
      docker: options.docker,
      dockerEndpoint: options.dockerEndpoint,
    });
    // A missing Docker engine degrades deploys but the API itself is up,
    // so only a database failure makes the endpoint unhealthy.
    res.status(health.database.status === 'ok' ? 200 : 503).json(health);
  });

  // Watch first: its webhook route reads the raw body, which a JSON parser
  // mounted by another area would otherwise consume.
  if (options.watchRouter) {
    router.use(options.watchRouter);
  }

  if (options.deployRouter) {
    router.use(options.deployRouter);
  }

  return router;
}
