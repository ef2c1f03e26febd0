#!/usr/bin/env node
/*
 * Live-feed benchmark (issue 6): render time of the live feed with 10,000
 * events, and the time to append one live event at that size, in Chromium.
 *
 *   yarn bench:frontend            # 10,000 events, 300 appends
 *   EVENTS=50000 APPENDS=100 yarn bench:frontend
 *   CHROMIUM=/path/to/chrome yarn bench:frontend
 *
 * Bundles bench/frontend-feed.entry.tsx (the real LiveFeed component) with
 * esbuild in production mode, serves it on 127.0.0.1 and drives it with
 * playwright-core. Prints the figures and writes them as JSON next to the
 * bundle.
 */
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

// React's profiling build of react-dom: production speed, and <Profiler>
// reports how long each update's render and commit took.
const reactDomProfiling = {
  name: 'react-dom-profiling',
  setup(b) {
    b.onResolve({ filter: /^react-dom$/ }, () => ({
      path: require.resolve('react-dom/profiling'),
    }));
  },
};
const events = Number(process.env.EVENTS ?? 10000);
const appends = Number(process.env.APPENDS ?? 300);
const runs = Number(process.env.RUNS ?? 3);
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-bench-'));

function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const pick = q =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return {
    mean: +mean.toFixed(2),
    median: +pick(0.5).toFixed(2),
    p95: +pick(0.95).toFixed(2),
    max: +sorted[sorted.length - 1].toFixed(2),
  };
}

const t0 = Date.now();
await build({
  entryPoints: [path.join(here, 'frontend-feed.entry.tsx')],
  bundle: true,
  minify: true,
  format: 'iife',
  platform: 'browser',
  target: 'chrome120',
  jsx: 'automatic',
  outfile: path.join(outDir, 'bench.js'),
  define: {
    'process.env.NODE_ENV': '"production"',
    global: 'window',
  },
  loader: { '.svg': 'dataurl', '.png': 'dataurl', '.css': 'empty' },
  logLevel: 'error',
  plugins: [reactDomProfiling],
});
fs.writeFileSync(
  path.join(outDir, 'index.html'),
  '<!doctype html><html><head><meta charset="utf-8"><title>Slipway feed bench</title></head>' +
    '<body style="margin:0;width:1280px"><div id="root"></div><script src="bench.js"></script></body></html>',
);
console.log(`bundled in ${Date.now() - t0} ms`);

const server = http.createServer((req, res) => {
  const file = req.url === '/' ? 'index.html' : req.url.slice(1);
  const full = path.join(outDir, path.basename(file));
  if (!fs.existsSync(full)) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, {
    'content-type': file.endsWith('.js') ? 'text/javascript' : 'text/html',
  });
  fs.createReadStream(full).pipe(res);
});
await new Promise(resolve => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${server.address().port}/`;

const browser = await chromium.launch({
  executablePath,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
const results = {
  renderMs: [],
  commitMs: [],
  frameMs: [],
  reactMs: [],
  rowsInDom: 0,
};
try {
  for (let run = 0; run < runs; run++) {
    const page = await browser.newPage({
      viewport: { width: 1280, height: 900 },
    });
    const errors = [];
    page.on('pageerror', e => errors.push(e.message));
    await page.goto(url);
    await page.waitForFunction(() => 'slipwayBench' in window, null, {
      timeout: 30000,
    });
    const mounted = await page.evaluate(
      n => window.slipwayBench.mount(n),
      events,
    );
    // Warm-up appends (JIT, first-use allocations) are not counted.
    await page.evaluate(() => window.slipwayBench.append(20));
    const appended = await page.evaluate(
      n => window.slipwayBench.append(n),
      appends,
    );
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    results.renderMs.push(mounted.renderMs);
    results.rowsInDom = mounted.rowsInDom;
    results.commitMs.push(...appended.commitMs);
    results.frameMs.push(...appended.frameMs);
    results.reactMs.push(...appended.reactMs);
    console.log(
      `run ${run + 1}: render ${mounted.renderMs.toFixed(1)} ms, ` +
        `append median ${stats(appended.commitMs).median} ms`,
    );
    await page.close();
  }
} finally {
  await browser.close();
  server.close();
}

const version = await chromium
  .launch({ executablePath, args: ['--headless', '--no-sandbox'] })
  .then(async b => {
    const v = b.version();
    await b.close();
    return v;
  });
const summary = {
  date: new Date().toISOString(),
  machine: `${os.cpus().length} cores, ${Math.round(
    os.totalmem() / 2 ** 30,
  )} GiB, ${os.platform()} ${os.release()}`,
  chromium: version,
  events,
  appendsPerRun: appends,
  runs,
  rowsInDom: results.rowsInDom,
  initialRenderMs: stats(results.renderMs),
  appendToDomMs: stats(results.commitMs),
  appendToNextFrameMs: stats(results.frameMs),
  appendReactRenderMs: stats(results.reactMs),
  loadAverage: os.loadavg().map(v => +v.toFixed(2)),
  targetPerAppendMs: 16,
};
summary.meetsTarget = summary.appendToDomMs.p95 < 16;
fs.writeFileSync(
  path.join(outDir, 'result.json'),
  JSON.stringify(summary, null, 2),
);

console.log('\nSlipway live feed benchmark');
console.log(
  `  ${summary.date} · ${summary.machine} · Chromium ${summary.chromium}`,
);
console.log(
  `  ${events} events in the feed, ${summary.rowsInDom} rows in the DOM (virtualized)`,
);
console.log(
  `  initial render (mount → first painted frame), ${runs} runs: median ${summary.initialRenderMs.median} ms, max ${summary.initialRenderMs.max} ms`,
);
console.log(
  `  append one live event (stream → row in DOM), ${runs}×${appends}: median ${summary.appendToDomMs.median} ms, p95 ${summary.appendToDomMs.p95} ms, max ${summary.appendToDomMs.max} ms`,
);
console.log(
  `  React render+commit work per append (Profiler actualDuration): median ${summary.appendReactRenderMs.median} ms, p95 ${summary.appendReactRenderMs.p95} ms`,
);
console.log(
  `  load average during the run (other jobs on the machine): ${summary.loadAverage.join(
    ' / ',
  )}`,
);
console.log(
  `  append → next frame presented (includes waiting for vsync): median ${summary.appendToNextFrameMs.median} ms, p95 ${summary.appendToNextFrameMs.p95} ms`,
);
console.log(
  `  target < 16 ms per append (p95): ${
    summary.meetsTarget ? 'met' : 'NOT met'
  }`,
);
console.log(`  JSON: ${path.join(outDir, 'result.json')}`);
