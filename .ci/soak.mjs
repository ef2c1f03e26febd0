#!/usr/bin/env node
/*
 * Soak: runs the repository's Jest suites (the README's `yarn test`) several
 * times in a row and prints, per test, how often it failed, so flakiness is
 * measured the same way by everyone.
 *
 *   yarn test:soak [--runs 10] [--hog 1] [--timeout-minutes 30] [-- <jest args>]
 *
 * --runs             how many times to run the suites (default 10)
 * --hog              CPU hogs (busy loops, one process each) running beside
 *                    the suites for the whole soak, to play a loaded machine
 *                    (default 0)
 * --timeout-minutes  a run that takes longer is killed and counted as failed
 *                    (default 30)
 * --leak-check       1 (default): Jest workers load .ci/leak-check.cjs, and
 *                    the report names what kept a worker alive after its
 *                    last suite (the cause of Jest's "A worker process has
 *                    failed to exit gracefully"); 0 turns it off
 * after --           passed to Jest, e.g. a path pattern to soak one package
 *
 * Services are taken from the environment as `yarn test` takes them (set
 * SLIPWAY_REQUIRE_SERVICES=1 so a missing PostgreSQL or Docker engine fails
 * instead of skipping); `SLIPWAY_SOAK_RUNS=10 bash .ci/run` sets everything
 * up the way CI does and then soaks. Exits non-zero when any run failed.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function parseArgs(argv) {
  const options = {
    runs: 10,
    hog: 0,
    timeoutMinutes: 30,
    leakCheck: 1,
    jestArgs: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      options.jestArgs = argv.slice(i + 1);
      break;
    }
    const value = Number(argv[i + 1]);
    if (!Number.isFinite(value) || value < 0) {
      throw new Error(`${arg} needs a number`);
    }
    if (arg === '--runs') options.runs = Math.max(1, Math.floor(value));
    else if (arg === '--hog') options.hog = Math.floor(value);
    else if (arg === '--timeout-minutes') options.timeoutMinutes = value;
    else if (arg === '--leak-check') options.leakCheck = value ? 1 : 0;
    else
      throw new Error(`Unknown option ${arg}; see the header of .ci/soak.mjs`);
    i++;
  }
  return options;
}

/** Busy loops in child processes; each stops itself after `maxMs` too. */
function startHogs(count, maxMs) {
  const hogs = [];
  for (let i = 0; i < count; i++) {
    const child = spawn(
      process.execPath,
      ['-e', `const end = Date.now() + ${maxMs}; while (Date.now() < end) {}`],
      { stdio: 'ignore' },
    );
    hogs.push(child);
  }
  return () => {
    for (const child of hogs) {
      if (child.exitCode === null) process.kill(child.pid, 'SIGKILL');
    }
  };
}

/** One run of the suites; resolves with Jest's JSON report and the log. */
function runSuites(run, options, dir) {
  const outputFile = path.join(dir, `run-${run}.json`);
  const logFile = path.join(dir, `run-${run}.log`);
  const log = fs.openSync(logFile, 'w');
  const leakFile = path.join(dir, `run-${run}.leaks`);
  const env = { ...process.env };
  if (options.leakCheck) {
    env.SLIPWAY_LEAK_LOG = leakFile;
    env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --require ${LEAK_CHECK}`;
  }
  const started = Date.now();
  const child = spawn(
    'yarn',
    ['test', '--json', `--outputFile=${outputFile}`, ...options.jestArgs],
    { stdio: ['ignore', log, log], env, detached: true },
  );
  return new Promise(resolve => {
    const timer = setTimeout(() => {
      // The whole process group: yarn, Jest and its workers.
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, options.timeoutMinutes * 60_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      fs.closeSync(log);
      const text = fs.readFileSync(logFile, 'utf8');
      let report;
      try {
        report = JSON.parse(fs.readFileSync(outputFile, 'utf8'));
      } catch {
        report = undefined;
      }
      resolve({
        run,
        code: code ?? (signal ? 128 : 1),
        signal,
        seconds: Math.round((Date.now() - started) / 1000),
        report,
        logFile,
        workerExitWarnings: (text.match(/failed to exit gracefully/g) ?? [])
          .length,
        ...readLeaks(leakFile),
      });
    });
  });
}

const LEAK_CHECK = path.resolve(
  path.dirname(new URL(import.meta.url).pathname),
  'leak-check.cjs',
);

/**
 * What kept each worker alive after it was told to end, one short line per
 * timer or handle; and the workers that were force-exited while busy.
 */
function readLeaks(file) {
  if (!fs.existsSync(file)) return { leaks: [], workers: 0, killed: 0 };
  const root = `${process.cwd()}${path.sep}`;
  const entries = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(line => line.trim())
    .map(line => JSON.parse(line));
  const ended = new Set(entries.filter(e => e.event === 'end').map(e => e.pid));
  const alive = new Set(
    entries.filter(e => e.event === 'alive').map(e => e.pid),
  );
  const leaks = [];
  for (const worker of entries.filter(e => e.event === 'alive')) {
    for (const t of worker.timers ?? []) {
      // The first frame in the repository's own code (not node_modules).
      const frames = t.stack.split(' < ');
      const own = frames.find(f => !f.includes('node_modules')) ?? frames[0];
      leaks.push(
        `${t.repeat ? 'setInterval' : 'setTimeout'}(${t.ms} ms) at ${own
          .split(root)
          .join('')}`,
      );
    }
    for (const h of worker.handles ?? []) {
      if (h.type === 'ChildProcess') {
        leaks.push(`child process ${(h.args ?? []).join(' ')}`);
      } else if (h.type === 'Server') {
        leaks.push(`server listening on ${JSON.stringify(h.address)}`);
      } else if (h.type.endsWith('Socket')) {
        leaks.push(`socket ${h.local} -> ${h.path ?? h.remote}`);
      } else {
        leaks.push(h.type);
      }
    }
    if (!(worker.timers?.length || worker.handles?.length)) {
      leaks.push(`unnamed: ${worker.resources.join(', ')}`);
    }
  }
  // Jest's main process notes its kills; a worker it killed that had
  // already exited was a false alarm of a busy main process.
  const exitAt = new Map(
    entries.filter(e => e.event === 'exit').map(e => [e.pid, e.at]),
  );
  const killed = [
    ...new Set(entries.filter(e => e.event === 'kill').map(e => e.worker)),
  ];
  for (const pid of killed) {
    const kill = entries.find(e => e.event === 'kill' && e.worker === pid);
    if (exitAt.has(pid) && exitAt.get(pid) <= kill.at) {
      leaks.push(
        `none: the worker had exited ${
          kill.at - exitAt.get(pid)
        } ms before Jest killed it (Jest's main process was too busy to see the exit within 500 ms)`,
      );
    } else if (!alive.has(pid)) {
      leaks.push(
        'none: the worker was force-exited while still busy (no idle check ran)',
      );
    }
  }
  return { leaks, workers: ended.size, killed: killed.length };
}

/** Failures per test (and per suite that could not run) of all runs. */
function tally(results) {
  const rows = new Map();
  const row = key => {
    if (!rows.has(key)) rows.set(key, { key, failed: 0, runs: [], first: '' });
    return rows.get(key);
  };
  for (const result of results) {
    if (!result.report) {
      const r = row('(no Jest report: the run was killed or crashed)');
      r.failed++;
      r.runs.push(result.run);
      continue;
    }
    for (const suite of result.report.testResults) {
      const file = path.relative(process.cwd(), suite.name);
      if (suite.status === 'failed' && suite.assertionResults.length === 0) {
        const r = row(`${file} (suite failed to run)`);
        r.failed++;
        r.runs.push(result.run);
        r.first ||= (suite.message ?? '').split('\n').find(Boolean) ?? '';
      }
      for (const test of suite.assertionResults) {
        if (test.status !== 'failed') continue;
        const r = row(`${file} › ${test.fullName}`);
        r.failed++;
        r.runs.push(result.run);
        r.first ||=
          (test.failureMessages?.[0] ?? '')
            .split('\n')
            .find(l => l.trim())
            ?.trim() ?? '';
      }
    }
  }
  return [...rows.values()].sort((a, b) => b.failed - a.failed);
}

function printReport(results, options) {
  const out = [];
  out.push('');
  out.push(
    `=== soak: ${results.length} runs, ${options.hog} CPU hog(s), ${
      os.cpus().length
    } cores, load ${os
      .loadavg()
      .map(n => n.toFixed(1))
      .join(' ')} ===`,
  );
  out.push(
    'run  exit  seconds  tests  passed  failed  skipped  worker-exit  killed  leaks',
  );
  for (const r of results) {
    const t = r.report ?? {};
    out.push(
      [
        String(r.run).padEnd(4),
        String(r.code).padEnd(5),
        String(r.seconds).padEnd(8),
        String(t.numTotalTests ?? '-').padEnd(6),
        String(t.numPassedTests ?? '-').padEnd(7),
        String(t.numFailedTests ?? '-').padEnd(7),
        String(t.numPendingTests ?? '-').padEnd(8),
        String(r.workerExitWarnings).padEnd(12),
        options.leakCheck ? `${r.killed}/${r.workers}`.padEnd(7) : '-      ',
        options.leakCheck ? String(r.leaks.length) : '-',
      ].join(' '),
    );
  }
  const rows = tally(results);
  out.push('');
  if (rows.length === 0) {
    out.push(`failures per test: none in ${results.length} runs`);
  } else {
    out.push('failures per test (failed/runs, in which runs, first message):');
    for (const r of rows) {
      out.push(
        `  ${r.failed}/${results.length}  [${r.runs.join(',')}]  ${r.key}`,
      );
      if (r.first) out.push(`      ${r.first.slice(0, 200)}`);
    }
  }
  if (options.leakCheck) {
    const leaks = new Map();
    for (const r of results) {
      for (const leak of r.leaks) {
        leaks.set(leak, [...(leaks.get(leak) ?? []), r.run]);
      }
    }
    out.push('');
    out.push(
      leaks.size === 0
        ? 'what kept a worker alive after its last suite: nothing'
        : 'what kept a worker alive after its last suite (in which runs):',
    );
    for (const [leak, runs] of leaks)
      out.push(`  [${runs.join(',')}]  ${leak}`);
  }
  // eslint-disable-next-line no-console
  console.log(out.join('\n'));
  return rows.length;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-soak-'));
  const stopHogs = startHogs(
    options.hog,
    options.runs * options.timeoutMinutes * 60_000,
  );
  const results = [];
  try {
    for (let run = 1; run <= options.runs; run++) {
      const result = await runSuites(run, options, dir);
      results.push(result);
      // eslint-disable-next-line no-console
      console.log(
        `[soak] run ${run}/${options.runs}: exit ${result.code} in ${
          result.seconds
        } s, ${result.report?.numFailedTests ?? '?'} failed (log ${
          result.logFile
        })`,
      );
    }
  } finally {
    stopHogs();
  }
  const failing = printReport(results, options);
  process.exitCode = failing > 0 || results.some(r => r.code !== 0) ? 1 : 0;
}

main().catch(error => {
  // eslint-disable-next-line no-console
  console.error(error);
  process.exitCode = 1;
});
