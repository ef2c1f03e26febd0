/*
 * Test helpers of the deploy engine: small git repositories whose image is
 * built FROM scratch with busybox, a backend started per test, and cleanup of
 * everything Docker-side a test created.
 */
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { Knex } from 'knex';
import request from 'supertest';
import { slipwayPlugin } from '../../plugin';

export const docker = new Docker({
  socketPath: process.env.DOCKER_HOST?.startsWith('unix://')
    ? process.env.DOCKER_HOST.slice(7)
    : '/var/run/docker.sock',
});

/** A unique app name prefix per test run, so cleanup never touches others. */
export const RUN = `t${Math.random().toString(36).slice(2, 7)}`;

const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find(p =>
  fs.existsSync(p),
);

function git(cwd: string, ...args: string[]) {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Slipway Test',
      GIT_AUTHOR_EMAIL: 'test@example.com',
      GIT_COMMITTER_NAME: 'Slipway Test',
      GIT_COMMITTER_EMAIL: 'test@example.com',
    },
  }).trim();
}

/** Options of one app version. */
export interface VersionOptions {
  /** Body of GET / */
  body: string;
  /** Whether /healthz exists (answers 200). */
  healthy?: boolean;
  /** Seconds a RUN step sleeps during the build. */
  buildSleepSeconds?: number;
  /** Removes /bin/sh from the image, so a shell-form HEALTHCHECK cannot run. */
  withoutShell?: boolean;
  /** Dockerfile lines added after busybox is installed (LABEL, RUN ...). */
  dockerfileExtra?: string;
}

/** A git repository with a busybox httpd app, served as file://. */
export class TestRepo {
  readonly dir: string;
  private readonly root: string;

  /** `slug` ("owner/name") becomes the last two path segments of the URL. */
  constructor(slug?: string) {
    if (!BUSYBOX) throw new Error('busybox-static is required for these tests');
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-test-repo-'));
    this.dir = slug ? path.join(this.root, ...slug.split('/')) : this.root;
    fs.mkdirSync(this.dir, { recursive: true });
    git(this.dir, 'init', '--quiet', '--initial-branch=main', '.');
    fs.copyFileSync(BUSYBOX, path.join(this.dir, 'busybox'));
  }

  get url(): string {
    return `file://${this.dir}`;
  }

  /** Writes a version and commits it; returns the commit sha. */
  commit(version: VersionOptions): string {
    const sleep =
      (version.buildSleepSeconds
        ? `RUN ["/bin/sleep", "${version.buildSleepSeconds}"]\n`
        : '') +
      (version.withoutShell ? 'RUN ["/bin/rm", "/bin/sh"]\n' : '') +
      (version.dockerfileExtra ? `${version.dockerfileExtra}\n` : '');
    fs.writeFileSync(
      path.join(this.dir, 'Dockerfile'),
      `FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
${sleep}COPY www /www
EXPOSE 8080
CMD ["busybox", "httpd", "-f", "-p", "8080", "-h", "/www"]
`,
    );
    const www = path.join(this.dir, 'www');
    fs.rmSync(www, { recursive: true, force: true });
    fs.mkdirSync(www);
    fs.writeFileSync(path.join(www, 'index.html'), version.body);
    if (version.healthy !== false) {
      fs.writeFileSync(path.join(www, 'healthz'), 'ok');
    }
    git(this.dir, 'add', '-A');
    git(this.dir, 'commit', '--quiet', '--allow-empty', '-m', version.body);
    return git(this.dir, 'rev-parse', 'HEAD');
  }

  branch(name: string) {
    git(this.dir, 'checkout', '--quiet', '-B', name);
  }

  remove() {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/** Headers of a signed-in user. */
export const auth = { Authorization: mockCredentials.user.header() };

/** Whether a deployment status is final (or serving). */
export const finished = (status: string) =>
  ['running', 'failed', 'cancelled', 'superseded'].includes(status);

/** The webhook secret of test backends. */
export const WEBHOOK_SECRET = 'deploy-test-webhook-secret';

/** The secret env encryption key of test backends (32 bytes, base64). */
export const TEST_ENCRYPTION_KEY = {
  id: 'test-1',
  key: Buffer.alloc(32, 7).toString('base64'),
};

/** Deploy config that keeps tests fast. */
export function testConfig(overrides: Record<string, unknown> = {}) {
  return {
    slipway: {
      allowedRepositories: ['file://'],
      secrets: { encryptionKeys: [TEST_ENCRYPTION_KEY] },
      github: { webhookSecrets: [WEBHOOK_SECRET] },
      cicd: { polling: { enabled: false } },
      deploy: {
        drainSeconds: 1,
        stopTimeoutSeconds: 2,
        pollIntervalMs: 1000,
        // Generous: a loaded 2-core CI machine can delay a heartbeat by seconds,
        // and a live deployment must not be taken for an abandoned one.
        staleAfterMs: 10000,
        keepImages: 5,
        dockerHealthIntervalMs: 500,
        ...overrides,
      },
    },
  };
}

/** The entity tests give their apps; the mock catalog serves it to all. */
const demoEntity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'demo', namespace: 'default' },
  spec: { type: 'service', owner: 'guests', lifecycle: 'experimental' },
};

/** Starts the plugin in a test backend on the given database. */
export async function startBackend(
  knex: Knex,
  config: Record<string, any> = testConfig(),
  extraFeatures: any[] = [],
) {
  return startTestBackend({
    features: [
      slipwayPlugin,
      mockServices.database.factory({ knex }),
      mockServices.rootConfig.factory({ data: config }),
      // Apps of component:default/demo: its readers (every user here) see them.
      catalogServiceMock.factory({ entities: [demoEntity] }),
      ...extraFeatures,
    ],
  });
}

type Server = Parameters<typeof request>[0];

/** Polls a deployment until `until` says so, or fails after `timeoutMs`. */
export async function waitForDeployment(
  server: Server,
  id: string,
  until: (status: string) => boolean,
  timeoutMs = 90_000,
): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last: any;
  while (Date.now() < deadline) {
    const response = await request(server).get(
      `/api/slipway/deployments/${id}`,
    );
    last = response.body;
    if (response.status === 200 && until(last.status)) return last;
    await new Promise(r => setTimeout(r, 100));
  }
  throw new Error(
    `Deployment ${id} did not reach the expected status in ${timeoutMs} ms; last: ${JSON.stringify(
      last,
    )}`,
  );
}

/** Fetches a URL's body, or throws. */
export async function fetchText(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.text();
}

/** Containers of an app (any state), by the slipway.app label. */
export async function containersOf(app: string) {
  return docker.listContainers({
    all: true,
    filters: JSON.stringify({ label: [`slipway.app=${app}`] }),
  });
}

/** Image tags of an app, by the contract name `slipway-<app>:<id>`. */
export async function imageTagsOf(app: string): Promise<string[]> {
  const images = await docker.listImages({
    filters: JSON.stringify({ reference: [`slipway-${app}:*`] }),
  });
  return images
    .flatMap(i => i.RepoTags ?? [])
    .filter(t => t.startsWith(`slipway-${app}:`));
}

/**
 * Keeps asking the API for the app's URL and requesting it, and samples the
 * engine for a running, healthy container of the app, until stopped.
 */
export function startProbe(server: Server, app: string) {
  let stopped = false;
  const result = {
    requests: 0,
    failures: [] as string[],
    dockerSamples: 0,
    dockerGaps: 0,
    bodies: new Set<string>(),
  };
  const started = Date.now();
  const httpLoop = (async () => {
    // Bounded in count and time.
    while (
      !stopped &&
      result.requests < 20000 &&
      Date.now() - started < 180_000
    ) {
      result.requests++;
      try {
        const response = await request(server).get(`/api/slipway/apps/${app}`);
        const url = response.body.url;
        if (!url) throw new Error('no url');
        result.bodies.add(await fetchText(url));
      } catch (error) {
        result.failures.push((error as Error).message);
      }
      await new Promise(r => setTimeout(r, 20));
    }
  })();
  const dockerLoop = (async () => {
    while (
      !stopped &&
      result.dockerSamples < 5000 &&
      Date.now() - started < 180_000
    ) {
      result.dockerSamples++;
      const healthy = await docker.listContainers({
        filters: JSON.stringify({
          label: [`slipway.app=${app}`, 'traefik.enable=true'],
          status: ['running'],
          health: ['healthy'],
        }),
      });
      if (healthy.length === 0) result.dockerGaps++;
      await new Promise(r => setTimeout(r, 50));
    }
  })();
  return {
    result,
    async stop() {
      stopped = true;
      await Promise.all([httpLoop, dockerLoop]);
      return result;
    },
  };
}

/** Removes every container and image of this test run. */
export async function cleanupDocker(prefix = RUN) {
  const containers = await docker.listContainers({
    all: true,
    filters: JSON.stringify({ label: ['slipway.app'] }),
  });
  for (const c of containers) {
    if (c.Labels['slipway.app']?.startsWith(prefix)) {
      await docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => {});
    }
  }
  const images = await docker.listImages({
    filters: JSON.stringify({ reference: [`slipway-${prefix}*`] }),
  });
  for (const image of images) {
    await docker
      .getImage(image.Id)
      .remove({ force: true })
      .catch(() => {});
  }
  // App networks: Docker's default address pools hold only a few dozen.
  const networks = await docker.listNetworks({
    filters: JSON.stringify({ label: ['slipway.app'] }),
  });
  for (const network of networks) {
    if (!network.Labels?.['slipway.app']?.startsWith(prefix)) continue;
    // A just-removed container may still hold its endpoint for a moment.
    for (let attempt = 0; attempt < 5; attempt++) {
      const removed = await docker
        .getNetwork(network.Id)
        .remove()
        .then(
          () => true,
          error => (error as { statusCode?: number }).statusCode === 404,
        );
      if (removed) break;
      await new Promise(r => setTimeout(r, 500));
    }
  }
}
