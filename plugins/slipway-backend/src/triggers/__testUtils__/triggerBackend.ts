/*
 * A real backend for auto-deploy tests: the whole plugin on a real
 * database, deploying apps whose repository does not exist (a deployment is
 * queued, then fails at clone: these tests count what was queued, not what
 * ran, so they need no image builds).
 */
import { mockCredentials } from '@backstage/backend-test-utils';
import type { AutoDeploySpec } from '@slipway/plugin-slipway-common';
import { Knex } from 'knex';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import {
  startBackend,
  testConfig,
  WEBHOOK_SECRET,
} from '../../deploy/__testUtils__/testApps';
import { sendDelivery } from '../../webhooks/__testUtils__/testBackend';

type Server = Parameters<typeof request>[0];

/** Service credentials read everything, whatever the catalog says. */
export const service = { authorization: mockCredentials.service.header() };

/** Config of a test backend; `autoDeploy` merges into slipway.autoDeploy. */
export function triggerConfig(autoDeploy: Record<string, unknown> = {}) {
  const config = testConfig();
  return {
    slipway: {
      ...config.slipway,
      autoDeploy: { pollIntervalMs: 200, ...autoDeploy },
    },
  };
}

/** Starts the plugin on `knex`. */
export function startTriggerBackend(
  knex: Knex,
  autoDeploy: Record<string, unknown> = {},
) {
  return startBackend(knex, triggerConfig(autoDeploy));
}

/** A delivery signed with the test backends' secret, as GitHub sends it. */
export function deliver(
  server: Server,
  event: string,
  payload: unknown,
  id?: string,
) {
  return sendDelivery(server, event, payload, { secret: WEBHOOK_SECRET, id });
}

/** Creates an app deploying from `<tmp>/missing/<slug>` with `autoDeploy`. */
export async function createApp(
  server: Server,
  name: string,
  slug: string,
  autoDeploy: AutoDeploySpec,
) {
  const response = await request(server)
    .post('/api/slipway/apps')
    .set(service)
    .send({
      name,
      repoUrl: `file://${path.join(os.tmpdir(), 'slipway-missing', slug)}`,
      autoDeploy,
    });
  expect(response.status).toBe(201);
  return response.body;
}

/** The auto-deploy deployments of an app, oldest first. */
export async function autoDeployments(
  server: Server,
  app: string,
): Promise<any[]> {
  const response = await request(server)
    .get(`/api/slipway/apps/${app}/deployments`)
    .set(service);
  expect(response.status).toBe(200);
  // The first deployment is the one creating the app queued (ref unset).
  return response.body.items.filter((d: any) => d.ref).reverse();
}

/** The auto-deploy decisions published for an app, oldest first. */
export async function decisions(server: Server, app: string): Promise<any[]> {
  const response = await request(server)
    .get('/api/slipway/events')
    .query({ source: 'slipway.deploy', kind: 'auto_deploy', limit: 500 })
    .set(service);
  expect(response.status).toBe(200);
  return response.body.items.filter((e: any) => e.meta.app === app).reverse();
}

/**
 * Calls `read` until `done` holds of its result, at most `timeoutMs`;
 * returns the last result. Bounded in time and count.
 */
export async function waitFor<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  for (let i = 0; i < 1000 && !done(value) && Date.now() < deadline; i++) {
    await new Promise(r => setTimeout(r, 50));
    value = await read();
  }
  if (!done(value)) {
    throw new Error(
      `Condition not reached in ${timeoutMs} ms; last value: ${JSON.stringify(
        value,
      ).slice(0, 2000)}`,
    );
  }
  return value;
}

/** Waits until an app has `count` decisions; returns them. */
export function waitForDecisions(server: Server, app: string, count: number) {
  return waitFor(
    () => decisions(server, app),
    d => d.length >= count,
  );
}
