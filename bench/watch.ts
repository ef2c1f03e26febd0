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
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import {
  CONCURRENCY,
  DELIVERIES,
  ONLY,
  PG_URL,
  RATE,
  RATE_SECONDS,
  STREAM_EVENTS,
  SUBSCRIBERS,
} from './watch/config';
import { cpuSince, startInstance, stopInstance } from './watch/instances';
import {
  closeConnections,
  fixedRate,
  fmt,
  streamLatency,
  throughput,
} from './watch/load';
import { serve } from './watch/server';

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
      label: 'SQLite (in-memory, as the tests)',
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
  if (ONLY.includes('pg') && (await pgAvailable())) {
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
  } else if (ONLY.includes('pg')) {
    report(`PostgreSQL not reachable at BENCH_PG_URL: skipped`);
  }

  try {
    for (const target of targets.filter(t => ONLY.includes(t.id))) {
      const a = await startInstance(
        __filename,
        target.db,
        target.url,
        target.stack,
      );
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
          const b = await startInstance(__filename, target.db, target.url);
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
    closeConnections();
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
