import { HttpAuthService, LoggerService } from '@backstage/backend-plugin-api';
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
  /** Tells a signed-in caller of `/health` from an anonymous one. */
  httpAuth?: HttpAuthService;
}

/** Whether the request carries valid user or service credentials. */
async function signedIn(
  httpAuth: HttpAuthService | undefined,
  req: express.Request,
): Promise<boolean> {
  if (!httpAuth) return false;
  try {
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service', 'none'],
    });
    return credentials.principal.type !== 'none';
  } catch {
    // An invalid or expired token: answered as anonymous.
    return false;
  }
}

/**
 * The plugin's HTTP API under `/api/slipway`. Routes are grouped by feature;
 * the webhook needs the raw body, so no JSON parser is installed globally.
 */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const router = Router();

  router.get('/health', async (req, res) => {
    const health = await checkHealth({
      knex: options.knex,
      docker: options.docker,
      dockerEndpoint: options.dockerEndpoint,
    });
    // A missing Docker engine degrades deploys but the API itself is up,
    // so only a database failure makes the endpoint unhealthy.
    res.status(health.database.status === 'ok' ? 200 : 503);
    // Anonymous probes learn up or down; the engine endpoint, versions and
    // errors are for signed-in users and services.
    if (await signedIn(options.httpAuth, req)) {
      res.json(health);
    } else {
      res.json({ status: health.status });
    }
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
