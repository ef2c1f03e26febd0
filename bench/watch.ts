/*
 * Watch benchmark (issue 3).
 *
 *   yarn bench:watch
 *   BENCH_DELIVERIES=3000 BENCH_CONCURRENCY=32 BENCH_SUBSCRIBERS=1000 yarn bench:watch
 *   BENCH_TARGETS=pg yarn bench:watch     # memory, backend, file, pg
 *
 * Each backend instance runs in its own child process (so the load
 * generator does not share its event loop) with the real watch stack:
 * webhook receiver, mapping, events store, tailer and stream, on SQLite (the
 * app's in-memory database, and a file) and on PostgreSQL when
 * BENCH_PG_URL (default postgres://postgres:postgres@127.0.0.1:5432) answers.
 * Measured:
 *  1. signed deliveries per second and p50/p99 latency at fixed concurrency,
 *     using real @octokit/webhooks-examples payloads (distinct run ids, so
 *     every delivery stores its event);
 *  2. p50/p99 latency at a fixed 200 requests/s (open loop);
 *  3. delivery-to-subscriber latency with BENCH_SUBSCRIBERS stream
 *     subscribers on the instance that received the deliveries, and, on
 *     PostgreSQL, on a second instance sharing the database.
 * Every loop is bounded; all traffic goes to 127.0.0.1.
 */
import { createBackend } from '@backstage/backend-defaults';
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { MiddlewareFactory } from '@backstage/backend-defaults/rootHttpRouter';
import { fork, ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import express from 'express';
import knexFactory, { Knex } from 'knex';
import { OasisEventStore } from '../plugins/slipway-backend/src/oasis/OasisEventStore';
import { signGithubPayload } from '../plugins/slipway-backend/src/webhooks/signature';
import { slipwayPlugin } from '../plugins/slipway-backend/src/plugin';
import { createWatch } from '../plugins/slipway-backend/src/watch';

const SECRET = 'bench-secret';
const DELIVERIES = Number(process.env.BENCH_DELIVERIES ?? 3000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const RATE = Number(process.env.BENCH_RATE ?? 200);
const RATE_SECONDS = Number(process.env.BENCH_RATE_SECONDS ?? 10);
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
const STREAM_EVENTS = Number(process.env.BENCH_STREAM_EVENTS ?? 100);
/** Which targets run: memory, backend, file, pg (default all). */
const ONLY = (process.env.BENCH_TARGETS ?? 'memory,backend,file,pg').split(',');
const PG_URL =
  process.env.BENCH_PG_URL ?? 'postgres://postgres:postgres@127.0.0.1:5432';

// ---------------------------------------------------------------- server side

const silent = {
  info() {},
  debug() {},
  warn() {},
  error(message: string, error?: Error) {
    process.stderr.write(`[server] ${message} ${error ?? ''}\n`);
  },
  child() {
    return silent;
  },
} as any;

/**
 * The whole Backstage backend (createBackend: production root HTTP router
 * with helmet, CORS, compression and request logging, auth policies, the
 * real database service) with the Slipway plugin and an in-memory catalog.
 */
async function serveBackend(): Promise<Served> {
  const port = Number(process.env.BENCH_PORT);
  const backend = createBackend();
  backend.add(
    mockServices.rootConfig.factory({
      data: {
        backend: {
          baseUrl: `http://127.0.0.1:${port}`,
          listen: { host: '127.0.0.1', port },
          database: {
            client: 'better-sqlite3',
            connection: process.env.BENCH_DB_URL,
          },
        },
        slipway: {
          github: { webhookSecrets: [SECRET] },
          cicd: { polling: { enabled: false } },
          deploy: { docker: { socketPath: '/nonexistent/docker.sock' } },
        },
      },
    }),
  );
  backend.add(catalogServiceMock.factory({ entities: [] }));
  backend.add(slipwayPlugin);
  await backend.start();
  return { port, stop: () => backend.stop() };
}

/** A running instance: its port and how to stop it. */
interface Served {
  port: number;
  stop(): Promise<void>;
}

/** Serves as a child process: reports the port, CPU time on request, stops. */
async function serve() {
  const served =
    process.env.BENCH_STACK === 'backend'
      ? await serveBackend()
      : await serveWatchRouter();
  process.send!({ port: served.port });
  let cpu = process.cpuUsage();
  process.on('message', async (m: any) => {
    if (m === 'cpu-start') {
      cpu = process.cpuUsage();
    } else if (m === 'cpu-stop') {
      const used = process.cpuUsage(cpu);
      process.send!({ cpuMs: (used.user + used.system) / 1000 });
    }
    if (m === 'stop') {
      await served.stop();
      process.exit(0);
    }
  });
}

/** The watch router alone on a plain express app. */
async function serveWatchRouter(): Promise<Served> {
  const db = process.env.BENCH_DB!;
  let knex: Knex;
  if (db === 'pg') {
    knex = knexFactory({
      client: 'pg',
      connection: process.env.BENCH_DB_URL,
      pool: { min: 2, max: 10 },
    });
  } else {
    knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: process.env.BENCH_DB_URL! },
      useNullAsDefault: true,
    });
  }
  const store = await OasisEventStore.create({ knex, logger: silent });
  const entities = [
    {
      kind: 'Component',
      metadata: {
        name: 'octo-repo',
        namespace: 'default',
        annotations: { 'github.com/project-slug': 'octo-org/octo-repo' },
      },
    },
  ];
  const watch = await createWatch({
    config: new ConfigReader({
      slipway: {
        github: { webhookSecrets: [SECRET] },
        cicd: { polling: { enabled: false } },
      },
    }),
    logger: silent,
    store,
    catalog: { getEntities: async () => ({ items: entities }) } as any,
    auth: { getOwnServiceCredentials: async () => ({}) } as any,
    httpAuth: {} as any,
    permissions: {} as any,
  });
  const app = express();
  app.use('/api/slipway', watch.router);
  app.use(
    MiddlewareFactory.create({
      config: new ConfigReader({}),
      logger: silent,
    }).error(),
  );
  const server = http.createServer(app);
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    stop: async () => {
      await watch.close();
      server.closeAllConnections();
      server.close();
      await knex.destroy();
    },
  };
}

// ---------------------------------------------------------------- client side

/** A port free on 127.0.0.1 right now (the whole backend needs one up front). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = http.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function startInstance(
  db: string,
  url: string,
  stack: 'router' | 'backend' = 'router',
): Promise<{ child: ChildProcess; port: number }> {
  const port = stack === 'backend' ? await freePort() : 0;
  return new Promise((resolve, reject) => {
    const child = fork(__filename, [], {
      env: {
        ...process.env,
        BENCH_ROLE: 'server',
        BENCH_STACK: stack,
        BENCH_PORT: String(port),
        BENCH_DB: db,
        BENCH_DB_URL: url,
      },
      execArgv: process.execArgv,
      // The whole backend logs every request (as in production): dropped.
      stdio: [
        'ignore',
        stack === 'backend' ? 'ignore' : 'inherit',
        'inherit',
        'ipc',
      ],
    });
    const onMessage = (m: any) => {
      if (m && typeof m.port === 'number') {
        child.off('message', onMessage);
        resolve({ child, port: m.port });
      }
    };
    child.on('message', onMessage);
    child.once('exit', code => reject(new Error(`server exited with ${code}`)));
  });
}

/** CPU time the instance spent since cpu-start, in ms. */
function cpuSince(child: ChildProcess): Promise<number> {
  return new Promise(resolve => {
    const onMessage = (m: any) => {
      if (m && typeof m.cpuMs === 'number') {
        child.off('message', onMessage);
        resolve(m.cpuMs);
      }
    };
    child.on('message', onMessage);
    child.send('cpu-stop');
  });
}

function stopInstance(child: ChildProcess): Promise<void> {
  return new Promise(resolve => {
    child.once('exit', () => resolve());
    child.send('stop');
  });
}

const examples: Array<{
  name: string;
  examples: any[];
}> = require('@octokit/webhooks-examples/api.github.com/index.json');
const pool = examples
  .filter(e =>
    ['workflow_run', 'check_run', 'pull_request', 'push'].includes(e.name),
  )
  .flatMap(e => e.examples.map(payload => ({ name: e.name, payload })));

let runId = 1;
/** A real example payload; workflow runs get fresh ids so none is deduplicated. */
function nextDelivery(i: number) {
  const { name, payload } = pool[i % pool.length];
  const body =
    name === 'workflow_run'
      ? {
          ...payload,
          workflow_run: { ...payload.workflow_run, id: 10_000_000 + runId++ },
        }
      : payload;
  const text = JSON.stringify(body);
  return {
    id: randomUUID(),
    name,
    text,
    signature: signGithubPayload(SECRET, text),
  };
}

let agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

/**
 * New connections for a phase: a socket left idle since the previous phase
 * may be closed by the server just as it is reused (ECONNRESET).
 */
function freshConnections() {
  agent.destroy();
  agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
}

function post(
  port: number,
  d: ReturnType<typeof nextDelivery>,
): Promise<number> {
  return new Promise(resolve => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/api/slipway/webhooks/github',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(d.text),
          'x-github-event': d.name,
          'x-github-delivery': d.id,
          'x-hub-signature-256': d.signature,
        },
      },
      res => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      },
    );
    // A refused or reset connection counts as a failed delivery.
    req.on('error', () => resolve(0));
    req.end(d.text);
  });
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[
    Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))
  ];
}

const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

async function throughput(port: number) {
  // Bodies are serialized and signed before the clock starts: the load
  // generator shares the machine's cores with the backend.
  const deliveries = Array.from({ length: DELIVERIES }, (_, i) =>
    nextDelivery(i),
  );
  freshConnections();
  // Warm-up (JIT, connection pool, catalog cache).
  for (let i = 0; i < 200; i++) await post(port, nextDelivery(i));
  const latencies: number[] = [];
  let next = 0;
  let failed = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < DELIVERIES) {
        const d = deliveries[next++];
        const t0 = performance.now();
        const status = await post(port, d);
        latencies.push(performance.now() - t0);
        if (status !== 202) failed++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    perSecond: DELIVERIES / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    failed,
  };
}

async function fixedRate(port: number) {
  const total = RATE * RATE_SECONDS;
  const deliveries = Array.from({ length: total }, (_, i) => nextDelivery(i));
  freshConnections();
  const latencies: number[] = [];
  let failed = 0;
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise(r => setTimeout(r, wait));
    const d = deliveries[i];
    const t0 = performance.now();
    pending.push(
      post(port, d).then(status => {
        latencies.push(performance.now() - t0);
        if (status !== 202) failed++;
      }),
    );
  }
  await Promise.all(pending);
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    failed,
  };
}

/** Opens n stream subscribers; calls onEvent(deliveryId, receivedAt) per event. */
async function subscribe(
  port: number,
  n: number,
  onEvent: (deliveryId: string, at: number) => void,
) {
  const streamAgent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const requests: http.ClientRequest[] = [];
  let connected = 0;
  await new Promise<void>((resolve, reject) => {
    for (let i = 0; i < n; i++) {
      const req = http.get(
        {
          host: '127.0.0.1',
          port,
          path: '/api/slipway/events/stream',
          agent: streamAgent,
        },
        res => {
          res.setEncoding('utf8');
          let pending = '';
          res.on('data', (chunk: string) => {
            const at = performance.now();
            pending += chunk;
            for (
              let end = pending.indexOf('\n\n');
              end >= 0;
              end = pending.indexOf('\n\n')
            ) {
              const block = pending.slice(0, end);
              pending = pending.slice(end + 2);
              if (block.includes(': connected')) {
                connected++;
                if (connected === n) resolve();
              }
              const m = /"deliveryId":"([^"]+)"/.exec(block);
              if (m) onEvent(m[1], at);
            }
          });
        },
      );
      req.on('error', reject);
      requests.push(req);
    }
  });
  return () => {
    requests.forEach(r => r.destroy());
    streamAgent.destroy();
  };
}

async function streamLatency(postPort: number, subscribePort: number) {
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const close = await subscribe(subscribePort, SUBSCRIBERS, (id, at) => {
    const t0 = sentAt.get(id);
    if (t0 !== undefined) latencies.push(at - t0);
  });
  // 20 deliveries per second: a steady flow, not a burst.
  for (let i = 0; i < STREAM_EVENTS; i++) {
    const d = nextDelivery(i);
    sentAt.set(d.id, performance.now());
    await post(postPort, d);
    await new Promise(r => setTimeout(r, 50));
  }
  const expected = STREAM_EVENTS * SUBSCRIBERS;
  const deadline = Date.now() + 30_000;
  while (latencies.length < expected && Date.now() < deadline) {
    await new Promise(r => setTimeout(r, 100));
  }
  close();
  return {
    received: latencies.length,
    expected,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

async function pgAvailable(): Promise<boolean> {
  const knex = knexFactory({ client: 'pg', connection: PG_URL });
  try {
    await knex.raw('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await knex.destroy();
  }
}

async function main() {
  const lines: string[] = [];
  const report = (line: string) => {
    lines.push(line);
    console.log(line);
  };
  report(
    `Watch benchmark — ${os.cpus().length} cores, ${Math.round(
      os.totalmem() / 2 ** 30,
    )} GiB, Node ${
      process.version
    }, ${new Date().toISOString()}, load average ${os
      .loadavg()
      .map(l => l.toFixed(1))
      .join(' ')} (other work on the machine included)`,
  );
  report(
    `deliveries: ${DELIVERIES} at concurrency ${CONCURRENCY}; fixed rate ${RATE}/s for ${RATE_SECONDS} s; ${SUBSCRIBERS} stream subscribers × ${STREAM_EVENTS} events`,
  );

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-bench-watch-'));
  const targets: Array<{
    id: string;
    label: string;
    db: string;
    url: string;
    stack?: 'router' | 'backend';
    second?: boolean;
  }> = [
    {
      id: 'memory',
      label: 'SQLite (in-memory, as app-config.yaml)',
      db: 'sqlite',
      url: ':memory:',
    },
    {
      // Streams need signed-in users there: only the webhook is measured.
      id: 'backend',
      label: 'Whole backend (createBackend, SQLite in-memory)',
      db: 'sqlite',
      url: ':memory:',
      stack: 'backend',
    },
    {
      id: 'file',
      label: 'SQLite (file)',
      db: 'sqlite',
      url: path.join(tmp, 'bench.sqlite'),
    },
  ];
  let pgDb: string | undefined;
  if (await pgAvailable()) {
    pgDb = `slipway_bench_${Date.now()}`;
    const admin = knexFactory({ client: 'pg', connection: PG_URL });
    await admin.raw(`create database ${pgDb}`);
    await admin.destroy();
    const u = new URL(PG_URL);
    u.pathname = `/${pgDb}`;
    targets.push({
      id: 'pg',
      label: 'PostgreSQL',
      db: 'pg',
      url: u.toString(),
      second: true,
    });
  } else {
    report(`PostgreSQL not reachable at BENCH_PG_URL: skipped`);
  }

  try {
    for (const target of targets.filter(t => ONLY.includes(t.id))) {
      const a = await startInstance(target.db, target.url, target.stack);
      try {
        a.child.send('cpu-start');
        const t = await throughput(a.port);
        const cpuMs = await cpuSince(a.child);
        report(
          `${target.label}: ${t.perSecond.toFixed(0)} deliveries/s, p50 ${fmt(
            t.p50,
          )}, p99 ${fmt(t.p99)} at concurrency ${CONCURRENCY}; backend CPU ${(
            cpuMs /
            (DELIVERIES + 200)
          ).toFixed(2)} ms per delivery${
            t.failed ? `, ${t.failed} failed` : ''
          }`,
        );
        const r = await fixedRate(a.port);
        report(
          `${target.label}: at ${RATE}/s p50 ${fmt(r.p50)}, p99 ${fmt(r.p99)}${
            r.failed ? `, ${r.failed} failed` : ''
          }`,
        );
        if (target.stack === 'backend') continue;
        const s = await streamLatency(a.port, a.port);
        report(
          `${
            target.label
          }: delivery → ${SUBSCRIBERS} subscribers on the same instance: p50 ${fmt(
            s.p50,
          )}, p99 ${fmt(s.p99)} (${s.received}/${s.expected} received)`,
        );
        if (target.second) {
          const b = await startInstance(target.db, target.url);
          try {
            const x = await streamLatency(a.port, b.port);
            report(
              `${
                target.label
              }: delivery on instance A → ${SUBSCRIBERS} subscribers on instance B: p50 ${fmt(
                x.p50,
              )}, p99 ${fmt(x.p99)} (${x.received}/${x.expected} received)`,
            );
          } finally {
            await stopInstance(b.child);
          }
        }
      } finally {
        await stopInstance(a.child);
      }
    }
  } finally {
    agent.destroy();
    fs.rmSync(tmp, { recursive: true, force: true });
    if (pgDb) {
      const admin = knexFactory({ client: 'pg', connection: PG_URL });
      await admin.raw(`drop database if exists ${pgDb}`);
      await admin.destroy();
    }
  }
  fs.writeFileSync(
    path.join(os.tmpdir(), 'slipway-bench-watch.txt'),
    `${lines.join('\n')}\n`,
  );
}

if (process.env.BENCH_ROLE === 'server') {
  serve().catch(error => {
    console.error(error);
    process.exit(1);
  });
} else {
  main().catch(error => {
    console.error(error);
    process.exit(1);
  });
}
