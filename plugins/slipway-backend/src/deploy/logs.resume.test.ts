/*
 * The API client following a deployment log across broken connections,
 * against the real plugin: lines are stored through the backend's own log
 * writer, the connection is cut for real (a TCP proxy on 127.0.0.1 that
 * drops its sockets, mid-message too; the server destroying its sockets; a
 * backend restart), and the client must show every line once and in order.
 */
import {
  DeploymentLogLine,
  ReconnectInfo,
  SlipwayHttpClient,
} from '@slipway/plugin-slipway-common';
import { createTestDatabases } from '@slipway/test-utils';
import { Knex } from 'knex';
import net, { AddressInfo } from 'node:net';
import request from 'supertest';
import {
  auth,
  startBackend,
  testConfig,
  waitForDeployment,
} from './__testUtils__/testApps';
import { DeployStore } from './DeployStore';
import { DeploymentLogWriter, DeploymentSignals } from './logs';

jest.setTimeout(120_000);

const databases = createTestDatabases();

/**
 * A TCP proxy in front of the backend that a test can cut: `cut()` destroys
 * every connection at once, and `cutAfterBytes` destroys the connection that
 * next answers after that many bytes (splitting whatever message is in
 * flight). With `target` undefined nothing is behind it: every connection is
 * accepted and reset at once. (A port that was just closed is no stand-in
 * for that: on a busy machine another test's server can take it, and the
 * client then talks to the wrong backend.)
 */
class CuttableProxy {
  private readonly server = net.createServer(client => this.accept(client));
  private readonly sockets = new Set<net.Socket>();
  connections = 0;
  cutAfterBytes: number | undefined;

  constructor(public target: number | undefined) {}

  async start(): Promise<number> {
    await new Promise<void>(resolve =>
      this.server.listen(0, '127.0.0.1', () => resolve()),
    );
    return (this.server.address() as AddressInfo).port;
  }

  cut(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  async stop(): Promise<void> {
    const closed = new Promise(resolve => this.server.close(resolve));
    this.cut();
    await closed;
  }

  private accept(client: net.Socket) {
    this.connections += 1;
    if (this.target === undefined) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(this.target, '127.0.0.1');
    this.sockets.add(client);
    this.sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.on('data', chunk => upstream.write(chunk));
    let budget: number | undefined;
    upstream.on('data', (chunk: Buffer) => {
      if (budget === undefined && this.cutAfterBytes !== undefined) {
        budget = this.cutAfterBytes;
        this.cutAfterBytes = undefined;
      }
      if (budget !== undefined && chunk.length >= budget) {
        client.write(chunk.subarray(0, budget), () => drop());
        budget = 0;
        return;
      }
      if (budget !== undefined) budget -= chunk.length;
      client.write(chunk);
    });
  }
}

async function waitUntil(what: string, check: () => boolean, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting: ${what}`);
    await new Promise(resolve => setTimeout(resolve, 20));
  }
}

function portOf(backend: { server: unknown }): number {
  return ((backend.server as net.Server).address() as AddressInfo).port;
}

// The Docker socket points nowhere: the deployment's first attempt fails at
// once, and the test then plays the deploy engine itself.
function apiConfig() {
  return testConfig({ docker: { socketPath: '/nonexistent/docker.sock' } });
}

/** A deployment the worker leaves alone: building, with a live heartbeat. */
async function buildingDeployment(knex: Knex, server: any): Promise<string> {
  const created = await request(server)
    .post('/api/slipway/apps')
    .set(auth)
    .send({ name: 'log-app', repoUrl: 'file:///srv/repo' });
  expect(created.status).toBe(201);
  const id = String(created.body.deployment.id);
  await waitForDeployment(server, id, s => s === 'failed', 20_000);
  await knex('deployments')
    .where({ id })
    .update({
      status: 'building',
      finished_at: null,
      heartbeat_ms: Date.now() + 3_600_000,
    });
  return id;
}

/**
 * The API client as a browser has it, through the proxy; `requests` records
 * each follow request's Last-Event-ID and the id of the last line the
 * client had shown by then.
 */
function clientVia(port: number, shown: () => string | undefined) {
  const requests: Array<{ lastEventId?: string; lastShown?: string }> = [];
  const client = new SlipwayHttpClient({
    discoveryApi: {
      getBaseUrl: async () => `http://127.0.0.1:${port}/api/slipway`,
    },
    fetchApi: {
      fetch: (input, init) => {
        const headers = init?.headers as Record<string, string>;
        if (String(input).includes('follow=true')) {
          requests.push({
            lastEventId: headers['Last-Event-ID'],
            lastShown: shown(),
          });
        }
        return fetch(input, { ...init, headers: { ...headers, ...auth } });
      },
    },
  });
  return { client, requests };
}

describe('following a deployment log across broken connections', () => {
  it.each(databases.eachSupportedId())(
    'shows every line once and in order, and ends with the deployment, on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      let backend = await startBackend(knex, apiConfig());
      const proxy = new CuttableProxy(portOf(backend));
      const controller = new AbortController();
      try {
        const id = await buildingDeployment(knex, backend.server);
        const store = new DeployStore(knex);
        const writer = new DeploymentLogWriter(
          store,
          new DeploymentSignals(),
          id,
          [],
        );
        const write = async (phase: string, count: number) => {
          for (let i = 0; i < count; i++) {
            writer.write('build', `${phase} line ${i} ${'x'.repeat(i % 50)}`);
          }
          await writer.flush();
        };
        const proxyPort = await proxy.start();

        const received: DeploymentLogLine[] = [];
        const reconnects: ReconnectInfo[] = [];
        const statuses: string[] = [];
        let settled = false;
        const { client, requests } = clientVia(
          proxyPort,
          () => received[received.length - 1]?.id,
        );
        const follow = client
          .readDeploymentLogs(id, {
            follow: true,
            signal: controller.signal,
            reconnect: { minDelayMs: 50, maxDelayMs: 400, maxAttempts: 50 },
            onReconnecting: info => reconnects.push(info),
            onLines: lines => received.push(...lines),
            onStatus: status => statuses.push(status),
          })
          .finally(() => {
            settled = true;
          });
        const has = (text: string) => () =>
          received.some(l => l.line.startsWith(text));

        await write('first', 50);
        await waitUntil('the first lines', has('first line 49'));

        // 1. The proxy drops the connection in the middle of a response,
        //    splitting a message, while 3000 lines stream.
        proxy.cutAfterBytes = 30_000;
        await write('burst', 3000);
        await waitUntil('the burst', has('burst line 2999'));
        expect(proxy.cutAfterBytes).toBeUndefined();
        expect(reconnects.length).toBeGreaterThanOrEqual(1);

        // 2. The server destroys its sockets (a restart's hard close).
        const before = reconnects.length;
        (backend.server as any).closeAllConnections();
        await write('after-close', 20);
        await waitUntil(
          'the lines after the server closed',
          has('after-close line 19'),
        );
        expect(reconnects.length).toBeGreaterThan(before);

        // 3. The backend stops; lines written meanwhile arrive once a new
        //    backend serves the same database.
        const beforeRestart = reconnects.length;
        proxy.target = undefined;
        proxy.cut();
        await backend.stop();
        await write('while-down', 30);
        await waitUntil(
          'failed attempts while the backend is down',
          () => reconnects.length >= beforeRestart + 2,
        );
        backend = await startBackend(knex, apiConfig());
        proxy.target = portOf(backend);
        await waitUntil(
          'the lines written while down',
          has('while-down line 29'),
        );
        await write('last', 10);
        await waitUntil('the last lines', has('last line 9'));
        expect(settled).toBe(false);

        // The deployment ends: the follow resolves with the final status.
        await store.deployments.transition(id, ['building'], 'failed', {
          error: 'test over',
        });
        await waitUntil('the follow to end', () => settled);
        await follow;

        const stored = await store.logs.read(id, { limit: 10_000 });
        expect(stored.length).toBeGreaterThan(3100);
        expect(received.map(l => l.id)).toEqual(stored.map(l => l.id));
        expect(received.map(l => l.line)).toEqual(stored.map(l => l.line));
        expect(statuses[statuses.length - 1]).toBe('failed');

        // Every reconnect asked for the lines after the last one shown.
        expect(requests).toHaveLength(reconnects.length + 1);
        expect(requests[0].lastEventId).toBeUndefined();
        for (const [i, info] of reconnects.entries()) {
          expect(requests[i + 1].lastEventId).toBe(info.lastEventId);
          expect(requests[i + 1].lastEventId).toBe(requests[i + 1].lastShown);
        }
        expect(reconnects.every(r => r.delayMs <= 400)).toBe(true);
      } finally {
        controller.abort();
        await proxy.stop();
        await backend.stop();
      }
    },
  );

  it('does not retry a 4xx, stops when aborted and gives up after the attempts it was given', async () => {
    const knex = await databases.init('SQLITE_3');
    const backend = await startBackend(knex, apiConfig());
    const proxy = new CuttableProxy(portOf(backend));
    try {
      const id = await buildingDeployment(knex, backend.server);
      const { client, requests } = clientVia(await proxy.start(), () => '');
      const reconnect = { minDelayMs: 50, maxDelayMs: 200, maxAttempts: 3 };

      // A deployment that does not exist: one request, the backend's error.
      const reconnects: ReconnectInfo[] = [];
      await expect(
        client.readDeploymentLogs('999999', {
          follow: true,
          reconnect,
          onReconnecting: info => reconnects.push(info),
          onLines: () => {},
        }),
      ).rejects.toMatchObject({ name: 'ResponseError', statusCode: 404 });
      expect(requests).toHaveLength(1);
      expect(reconnects).toEqual([]);

      // Nothing behind the proxy: every attempt fails.
      proxy.target = undefined;
      // Kept-alive connections still lead to the backend.
      proxy.cut();

      // Aborted while waiting to reconnect: settles at once, asks no more.
      const controller = new AbortController();
      const aborted = client.readDeploymentLogs(id, {
        follow: true,
        signal: controller.signal,
        reconnect: { ...reconnect, minDelayMs: 5_000 },
        onReconnecting: () => controller.abort(),
        onLines: () => {},
      });
      const started = Date.now();
      await expect(aborted).rejects.toBeDefined();
      expect(Date.now() - started).toBeLessThan(3_000);
      const asked = proxy.connections;
      await new Promise(resolve => setTimeout(resolve, 300));
      expect(proxy.connections).toBe(asked);

      // Left alone, it gives up after three reconnects.
      const attempts: number[] = [];
      await expect(
        client.readDeploymentLogs(id, {
          follow: true,
          reconnect,
          onReconnecting: info => attempts.push(info.attempt),
          onLines: () => {},
        }),
      ).rejects.toThrow(
        `Lost the log stream of deployment ${id} and could not reconnect in 3 attempts`,
      );
      expect(attempts).toEqual([1, 2, 3]);
      expect(requests).toHaveLength(1 + 1 + 4);
    } finally {
      await proxy.stop();
      await backend.stop();
    }
  });
});
