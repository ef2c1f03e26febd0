import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { spawnSync } from 'node:child_process';

const PG_ENV = 'BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING';

/** True when `SLIPWAY_REQUIRE_SERVICES=1`: a missing service is then an error. */
export function servicesRequired(): boolean {
  return process.env.SLIPWAY_REQUIRE_SERVICES === '1';
}

const announced = new Set<string>();

/**
 * Reports a missing service: a loud skip notice, or a thrown error when
 * services are required (so CI cannot pass by skipping).
 */
export function reportMissingService(service: string, howToEnable: string) {
  const message = `${service} is not available: its tests are SKIPPED. ${howToEnable}`;
  if (servicesRequired()) {
    throw new Error(
      `SLIPWAY_REQUIRE_SERVICES=1 but ${service} is not available. ${howToEnable}`,
    );
  }
  if (!announced.has(service)) {
    announced.add(service);
    // eslint-disable-next-line no-console
    console.warn(`[slipway] ${message}`);
  }
}

/** Whether a PostgreSQL 15 connection string is configured for tests. */
export function postgresAvailable(): boolean {
  return Boolean(process.env[PG_ENV]);
}

/**
 * The databases a test file runs against: always SQLite, plus PostgreSQL 15
 * when a connection string is configured. Never starts containers.
 */
export function createTestDatabases(): TestDatabases {
  const ids: TestDatabaseId[] = ['SQLITE_3'];
  if (postgresAvailable()) {
    ids.push('POSTGRES_15');
  } else {
    reportMissingService(
      'PostgreSQL',
      `Set ${PG_ENV}=postgres://user:password@127.0.0.1:5432 to run them.`,
    );
  }
  return TestDatabases.create({ ids, disableDocker: true });
}

let dockerState: { reachable: boolean; reason: string } | undefined;

/**
 * Whether a Docker engine answers on DOCKER_HOST or the default socket.
 * Checked synchronously (in a child process) so it can decide whether a
 * `describe` block runs.
 */
export function dockerReachable(): { reachable: boolean; reason: string } {
  if (dockerState) {
    return dockerState;
  }
  const script = `
    const http = require('http');
    const h = process.env.DOCKER_HOST || 'unix:///var/run/docker.sock';
    const opts = h.startsWith('unix://')
      ? { socketPath: h.slice(7), path: '/_ping' }
      : (() => { const u = new URL(h.replace(/^tcp:/, 'http:')); return { host: u.hostname, port: u.port || 2375, path: '/_ping' }; })();
    const req = http.get({ ...opts, timeout: 3000 }, res => { process.stdout.write(String(res.statusCode)); process.exit(res.statusCode === 200 ? 0 : 1); });
    req.on('timeout', () => { process.stdout.write('timeout'); process.exit(1); });
    req.on('error', e => { process.stdout.write(e.message); process.exit(1); });
  `;
  const result = spawnSync(process.execPath, ['-e', script], {
    encoding: 'utf8',
    timeout: 10000,
  });
  dockerState =
    result.status === 0
      ? { reachable: true, reason: 'ok' }
      : { reachable: false, reason: result.stdout || 'no answer' };
  return dockerState;
}

/**
 * `describe` when a Docker engine is reachable; otherwise a skipped block
 * with a notice (or an error when services are required).
 */
/* eslint-disable jest/valid-describe-callback, jest/valid-title, jest/no-disabled-tests -- a wrapper around describe */
export function describeWithDocker(name: string, fn: () => void): void {
  const state = dockerReachable();
  if (state.reachable) {
    describe(name, fn);
    return;
  }
  reportMissingService(
    'The Docker engine',
    `(${state.reason}) Start dockerd or set DOCKER_HOST to run them.`,
  );
  describe.skip(`${name} [SKIPPED: no Docker engine]`, fn);
}
/* eslint-enable jest/valid-describe-callback, jest/valid-title, jest/no-disabled-tests */
