/* The load of the watch benchmark: signed deliveries and stream subscribers. */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { signGithubPayload } from '../../plugins/slipway-backend/src/webhooks/signature';
import {
  CONCURRENCY,
  DELIVERIES,
  RATE,
  RATE_SECONDS,
  SECRET,
  STREAM_EVENTS,
  SUBSCRIBERS,
} from './config';

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
/**
 * A real example payload; workflow runs get fresh ids and pushes fresh head
 * shas, so none is deduplicated.
 */
function nextDelivery(i: number) {
  const { name, payload } = pool[i % pool.length];
  let body = payload;
  if (name === 'workflow_run') {
    body = {
      ...payload,
      workflow_run: { ...payload.workflow_run, id: 10_000_000 + runId++ },
    };
  } else if (name === 'push') {
    body = { ...payload, after: (runId++).toString(16).padStart(40, '0') };
  }
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
export function freshConnections() {
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

export const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

export async function throughput(port: number) {
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

export async function fixedRate(port: number) {
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

export async function streamLatency(postPort: number, subscribePort: number) {
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

/** Closes the kept-alive connections of the load generator. */
export function closeConnections() {
  agent.destroy();
}
