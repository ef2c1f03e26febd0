import type { LoggerService } from '@backstage/backend-plugin-api';
import {
  runGit,
  tokenForRepositoryUrl,
  validateGitRef,
} from '@slipway/plugin-slipway-node';
import fs from 'node:fs/promises';
import path from 'node:path';
import { errorMessage, type Deferred } from '../cleanup';
import type { PipelineRun } from '../PipelineRun';

const SHA = /^[0-9a-f]{7,40}$/i;

/** Options of {@link fetchSource}. */
export interface FetchSourceOptions {
  repoUrl: string;
  /** Branch, tag or commit sha; the remote's default branch when absent. */
  ref?: string;
  /** Parent directory for the checkout. */
  workDir: string;
  token?: string;
  log: (line: string) => void;
  signal?: AbortSignal;
  /** Prefix of the checkout directory's name (see sourceDirPrefix). */
  dirPrefix: string;
  /** The whole fetch fails after this long (a hung remote). */
  timeoutSeconds: number;
  /** Told what of a failed fetch's checkout could not be removed. */
  logger?: Pick<LoggerService, 'warn'>;
}

/**
 * `slipway-src-<installation>--`: checkouts of one installation. Ids never
 * contain `--`, so no installation's prefix matches another's checkouts.
 */
export function sourceDirsPrefix(installationId: string): string {
  return `slipway-src-${installationId}--`;
}

/**
 * `slipway-src-<installation>--<deploymentId>-<pid>-`: the restart reconcile
 * finds checkouts a crash left behind by installation and deployment, and
 * leaves alone those of a process still running (another backend on this
 * host with the same workDir, e.g. parallel test runs or a second database).
 */
export function sourceDirPrefix(installationId: string, deploymentId: string) {
  return `${sourceDirsPrefix(installationId)}${deploymentId}-${process.pid}-`;
}

/** The deployment id and creating process of a checkout's name (after the prefix). */
export function parseSourceDirName(
  rest: string,
): { deploymentId: string; pid?: number } | undefined {
  const [deploymentId, pid, random] = rest.split('-');
  if (!/^\d+$/.test(deploymentId ?? '')) return undefined;
  // Checkouts of earlier versions carry no pid: `<id>-<random>`.
  return random !== undefined && /^\d+$/.test(pid)
    ? { deploymentId, pid: Number(pid) }
    : { deploymentId };
}

/**
 * Step 1 — source: a shallow checkout of exactly one ref. The caller checks
 * the URL against `slipway.allowedRepositories` first; the token reaches git
 * only through its environment (see runGit).
 */
export async function fetchSource(
  options: FetchSourceOptions,
): Promise<{ dir: string; commitSha: string }> {
  if (options.ref !== undefined) validateGitRef(options.ref);
  await fs.mkdir(options.workDir, { recursive: true });
  const dir = await fs.mkdtemp(path.join(options.workDir, options.dirPrefix));
  const timeout = AbortSignal.timeout(options.timeoutSeconds * 1000);
  const signal = options.signal
    ? AbortSignal.any([options.signal, timeout])
    : timeout;
  try {
    return await fetchInto(dir, { ...options, signal });
  } catch (error) {
    await removeSource(dir, options.logger);
    if (timeout.aborted) {
      throw new Error(
        `fetching the source did not finish within ${options.timeoutSeconds} s (slipway.deploy.timeouts.cloneSeconds); the git remote does not answer`,
      );
    }
    throw error;
  }
}

async function fetchInto(
  dir: string,
  options: FetchSourceOptions,
): Promise<{ dir: string; commitSha: string }> {
  const { repoUrl, ref, token, log, signal } = options;
  const git = (args: string[]) =>
    runGit({ args, cwd: dir, token, onLine: log, signal });

  // init + fetch of one ref works for branches, tags and shas alike and
  // never puts the URL's position in argv where an option could be.
  await git(['init', '--quiet', '.']);
  await git(['remote', 'add', 'origin', '--', repoUrl]);
  const target = ref ?? 'HEAD';
  log(`Fetching ${target} from ${repoUrl.replace(/\/\/[^/@]*@/, '//')}`);
  try {
    await git(['fetch', '--depth', '1', '--no-tags', 'origin', '--', target]);
  } catch (error) {
    if (!ref || !SHA.test(ref)) throw error;
    // Some servers refuse a shallow fetch of an unadvertised sha (and short
    // shas never resolve remotely): fall back to the full history.
    log(`Shallow fetch of ${ref} refused; fetching the full history`);
    await git(['fetch', '--no-tags', 'origin']);
    const full = (
      await git([
        'rev-parse',
        '--verify',
        '--end-of-options',
        `${ref}^{commit}`,
      ])
    ).trim();
    await git(['checkout', '--quiet', '--detach', full]);
    return { dir, commitSha: full };
  }
  await git(['checkout', '--quiet', '--detach', 'FETCH_HEAD']);
  const commitSha = (await git(['rev-parse', 'HEAD'])).trim();
  log(`Checked out ${commitSha}`);
  return { dir, commitSha };
}

/**
 * The source step of the pipeline: the allow-list check, then the checkout,
 * whose removal is registered on the run's cleanup at once. The caller runs
 * `removal` once the build no longer needs the checkout.
 */
export async function sourceStep(
  run: PipelineRun,
): Promise<{ dir: string; commitSha: string; removal: Deferred }> {
  const { deps, claimed } = run;
  const { repoUrl } = claimed.config;
  run.stepName = 'source';
  deps.allowList.assertAllowed(repoUrl, 'deploy an app');
  const token = await tokenForRepositoryUrl(deps.rootConfig, repoUrl);
  const source = await fetchSource({
    repoUrl,
    ref: claimed.ref,
    workDir: deps.deployConfig.workDir,
    token,
    log: run.log,
    signal: run.signal,
    dirPrefix: sourceDirPrefix(deps.deployConfig.installationId, run.id),
    timeoutSeconds: deps.deployConfig.timeouts.cloneSeconds,
    logger: deps.logger,
  });
  const removal = run.cleanup.defer(`remove checkout ${source.dir}`, () =>
    fs.rm(source.dir, { recursive: true, force: true }),
  );
  return { ...source, removal };
}

/**
 * Removes a checkout; never throws. What it could not remove is logged to
 * `logger` at warn (a missing checkout is no failure).
 */
export async function removeSource(
  dir: string | undefined,
  logger?: Pick<LoggerService, 'warn'>,
): Promise<void> {
  if (!dir) return;
  await fs.rm(dir, { recursive: true, force: true }).catch(error => {
    logger?.warn(`Could not remove checkout ${dir}: ${errorMessage(error)}`);
  });
}
