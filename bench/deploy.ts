/*
 * Deploy engine benchmark (issue 4).
 *
 *   yarn bench:deploy                 # 5 rounds, 20 switches
 *   ROUNDS=3 SWITCHES=10 yarn bench:deploy
 *
 * For the same small app (busybox httpd built FROM scratch), it measures in
 * one run:
 *  - engine: request → `running` (clone, build, run, health gate, switch);
 *  - plain CLI: git clone --depth 1, docker build, docker run, curl until
 *    200 — the same work by hand; rounds alternate so both see the same load;
 *  - queue → claim latency of the worker;
 *  - rollback time (request → `running`, no rebuild);
 *  - failed probe requests across SWITCHES switches, asking the engine for
 *    the current URL and requesting it in a loop.
 * Needs a Docker engine (DOCKER_HOST or /var/run/docker.sock), git and
 * busybox. Uses an in-memory SQLite database. Talks to 127.0.0.1 only.
 */
import { ConfigReader } from '@backstage/config';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import knexFactory from 'knex';
import { applyDatabaseMigrations } from '../plugins/slipway-backend/src/database/migrations';
import {
  createDockerClient,
  resolveDockerEndpoint,
} from '../plugins/slipway-backend/src/deploy/docker';
import { createDeployEngine } from '../plugins/slipway-backend/src/deploy/createDeployEngine';
import type { DeployStore } from '../plugins/slipway-backend/src/deploy/DeployStore';

const run = promisify(execFile);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const SWITCHES = Number(process.env.SWITCHES ?? 20);
const APP = `bench-${Math.random().toString(36).slice(2, 6)}`;
const CLI_IMAGE = `${APP}-cli`;
const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find(p =>
  fs.existsSync(p),
);

const logger = {
  info() {},
  debug() {},
  warn(message: string) {
    console.warn(`[engine] ${message}`);
  },
  error(message: string) {
    console.error(`[engine] ${message}`);
  },
  child() {
    return logger;
  },
};

const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'bench',
  GIT_AUTHOR_EMAIL: 'bench@example.com',
  GIT_COMMITTER_NAME: 'bench',
  GIT_COMMITTER_EMAIL: 'bench@example.com',
};

async function git(cwd: string, ...args: string[]) {
  const { stdout } = await run('git', args, { cwd, env: gitEnv });
  return stdout.trim();
}

async function commitVersion(dir: string, body: string) {
  fs.writeFileSync(
    path.join(dir, 'Dockerfile'),
    `FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
COPY www /www
EXPOSE 8080
CMD ["busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]
`,
  );
  fs.mkdirSync(path.join(dir, 'www'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'www', 'index.html'), body);
  fs.writeFileSync(path.join(dir, 'www', 'healthz'), 'ok');
  await git(dir, 'add', '-A');
  await git(dir, 'commit', '--quiet', '-m', body);
  return git(dir, 'rev-parse', 'HEAD');
}

async function until200(url: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await new Promise(r => setTimeout(r, 20));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}

async function waitRunning(
  store: DeployStore,
  id: string,
  timeoutMs = 120_000,
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const d = await store.deployments.get(id);
    if (d?.status === 'running') return d;
    if (d && ['failed', 'cancelled', 'superseded'].includes(d.status)) {
      throw new Error(`deployment ${id} ended ${d.status}: ${d.error}`);
    }
    await new Promise(r => setTimeout(r, 10));
  }
  throw new Error(`deployment ${id} not running within ${timeoutMs} ms`);
}

/** The same work by hand with the CLIs. */
async function plainCli(repoUrl: string, workDir: string, round: number) {
  const started = Date.now();
  const dir = path.join(workDir, `cli-${round}`);
  await run('git', [
    'clone',
    '--quiet',
    '--depth',
    '1',
    '--branch',
    'main',
    repoUrl,
    dir,
  ]);
  const tag = `${CLI_IMAGE}:${round}`;
  await run('docker', [
    'build',
    '-q',
    '--label',
    `slipway.app=${APP}`,
    '-t',
    tag,
    dir,
  ]);
  const { stdout: id } = await run('docker', [
    'run',
    '-d',
    '--init',
    '--label',
    `slipway.app=${APP}`,
    '-p',
    '127.0.0.1::8080',
    tag,
  ]);
  const { stdout: port } = await run('docker', ['port', id.trim(), '8080/tcp']);
  const hostPort = port.trim().split('\n')[0].split(':').pop();
  await until200(`http://127.0.0.1:${hostPort}/healthz`);
  const elapsed = Date.now() - started;
  await run('docker', ['rm', '-f', id.trim()]);
  fs.rmSync(dir, { recursive: true, force: true });
  return elapsed;
}

/** With BENCH_TRACE=1: a deployment's log lines with their offsets. */
async function trace(store: DeployStore, id: string) {
  if (!process.env.BENCH_TRACE) return;
  const lines = await store.logs.read(id, { limit: 500 });
  const d = await store.deployments.get(id);
  const first = Date.parse(d!.createdAt);
  for (const l of lines) {
    process.stdout.write(
      `  +${Date.parse(l.createdAt) - first} ms [${l.step}] ${l.line.slice(
        0,
        80,
      )}\n`,
    );
  }
}

function stats(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  return {
    median,
    min: sorted[0],
    max: sorted[sorted.length - 1],
    values,
  };
}

async function main() {
  if (!BUSYBOX)
    throw new Error('busybox is required (apt-get install busybox-static)');
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-bench-'));
  const repoDir = path.join(workDir, 'repo');
  fs.mkdirSync(repoDir);
  await git(repoDir, 'init', '--quiet', '--initial-branch=main', '.');
  fs.copyFileSync(BUSYBOX, path.join(repoDir, 'busybox'));
  const repoUrl = `file://${repoDir}`;

  const config = new ConfigReader({
    slipway: {
      allowedRepositories: ['file://'],
      deploy: {
        workDir,
        ...(process.env.DOCKER_HEALTH_INTERVAL_MS
          ? {
              dockerHealthIntervalMs: Number(
                process.env.DOCKER_HEALTH_INTERVAL_MS,
              ),
            }
          : {}),
      },
    },
  });
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: ':memory:',
    useNullAsDefault: true,
  });
  await applyDatabaseMigrations(knex);
  const endpoint = resolveDockerEndpoint(config);
  const docker = createDockerClient(endpoint);
  const parts = createDeployEngine({
    config,
    knex,
    docker,
    dockerEndpoint: endpoint.description,
    logger: logger as any,
  });
  const { engine, worker, store } = parts;
  await worker.start();

  const engineTimes: number[] = [];
  const cliTimes: number[] = [];
  const claimTimes: number[] = [];
  const rollbackTimes: number[] = [];
  const probe = { requests: 0, failures: 0 };
  const deploymentIds: string[] = [];
  try {
    await commitVersion(repoDir, 'warm-up');
    // Warm-up: fills the build cache for both paths equally.
    const created = await engine.createApp({
      name: APP,
      repoUrl,
      ref: 'main',
      contextPath: '.',
      dockerfilePath: 'Dockerfile',
      port: 8080,
      env: {},
      secretEnv: {},
      resources: {},
      healthCheck: { path: '/healthz' },
    });
    await waitRunning(store, created.deployment.id);
    await plainCli(repoUrl, workDir, 0);

    for (let round = 1; round <= ROUNDS; round++) {
      await commitVersion(repoDir, `round ${round}`);
      // Alternate which path goes first so neither always gets a warmer host.
      const order = round % 2 ? ['engine', 'cli'] : ['cli', 'engine'];
      for (const which of order) {
        if (which === 'cli') {
          cliTimes.push(await plainCli(repoUrl, workDir, round));
        } else {
          const t0 = Date.now();
          const queued = await engine.deploy(APP, { trigger: 'manual' });
          const done = await waitRunning(store, queued.id);
          engineTimes.push(Date.now() - t0);
          deploymentIds.push(done.id);
          claimTimes.push(
            Date.parse(done.startedAt!) - Date.parse(done.createdAt),
          );
        }
      }
      await trace(store, deploymentIds.at(-1)!);
      process.stdout.write(
        `round ${round}: engine ${engineTimes.at(-1)} ms, cli ${cliTimes.at(
          -1,
        )} ms\n`,
      );
    }

    // Switches under a probe: rollbacks between the two newest images.
    let stopped = false;
    const probeLoop = (async () => {
      const started = Date.now();
      while (!stopped && Date.now() - started < 600_000) {
        probe.requests++;
        try {
          const app = await store.apps.get(APP);
          const current = await store.deployments.get(
            app!.currentDeploymentId!,
          );
          const response = await fetch(current!.url!, {
            signal: AbortSignal.timeout(2000),
          });
          await response.arrayBuffer();
          if (!response.ok) probe.failures++;
        } catch {
          probe.failures++;
        }
        await new Promise(r => setTimeout(r, 10));
      }
    })();
    const targets = deploymentIds.slice(-2);
    for (let i = 0; i < SWITCHES; i++) {
      const t0 = Date.now();
      const queued = await engine.rollback(APP, targets[i % 2]);
      await waitRunning(store, queued.id);
      rollbackTimes.push(Date.now() - t0);
      await trace(store, queued.id);
    }
    // Let the last drain finish under the probe too.
    await new Promise(r => setTimeout(r, 3000));
    stopped = true;
    await probeLoop;
  } finally {
    await worker.stop();
    const containers = await docker.listContainers({
      all: true,
      filters: JSON.stringify({ label: [`slipway.app=${APP}`] }),
    });
    for (const c of containers) {
      await docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => {});
    }
    const images = await docker.listImages({
      filters: JSON.stringify({
        reference: [`slipway-${APP}:*`, `${CLI_IMAGE}:*`],
      }),
    });
    for (const image of images) {
      await docker
        .getImage(image.Id)
        .remove({ force: true })
        .catch(() => {});
    }
    await knex.destroy();
    fs.rmSync(workDir, { recursive: true, force: true });
  }

  const engineStats = stats(engineTimes);
  const cli = stats(cliTimes);
  const result = {
    date: new Date().toISOString(),
    machine: `${os.cpus().length} cores, ${Math.round(
      os.totalmem() / 2 ** 30,
    )} GiB`,
    loadAverage: os.loadavg().map(l => Math.round(l * 100) / 100),
    rounds: ROUNDS,
    engineMs: engineStats,
    plainCliMs: cli,
    ratio: Math.round((engineStats.median / cli.median) * 100) / 100,
    overheadMs: engineStats.median - cli.median,
    queueToClaimMs: stats(claimTimes),
    rollbackMs: stats(rollbackTimes),
    switches: SWITCHES,
    probe,
  };
  console.log(JSON.stringify(result, null, 2));
  console.log(
    `\nengine ${engineStats.median} ms vs plain CLI ${cli.median} ms (median of ${ROUNDS}): ratio ${result.ratio} (target <= 1.15), overhead ${result.overheadMs} ms\n` +
      `queue -> claim: median ${result.queueToClaimMs.median} ms, max ${result.queueToClaimMs.max} ms (target < 50)\n` +
      `rollback: median ${result.rollbackMs.median} ms, max ${result.rollbackMs.max} ms (target < 3000)\n` +
      `probe: ${probe.failures} failed of ${probe.requests} requests across ${SWITCHES} switches (target 0)`,
  );
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
