import { InputError, NotFoundError } from '@backstage/errors';
import { runGit, safeUrl, validateGitRef } from '@slipway/plugin-slipway-node';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ExtractLimits } from './limits';
import { normalizeTemplatePath } from './pathSafety';

/** What {@link fetchSubdirectory} fetched. */
export interface FetchedSubdirectory {
  /** The commit the ref resolved to. */
  commitSha: string;
  /** Absolute path of the checked-out subdirectory. */
  dir: string;
  /** Number of blobs, symlinks and gitlinks under the subdirectory. */
  entryCount: number;
}

/** Options of {@link fetchSubdirectory}. */
export interface FetchSubdirectoryOptions {
  repoUrl: string;
  /** Branch, tag or commit sha; the remote's default branch when omitted. */
  ref?: string;
  /** Subdirectory inside the repository, already validated. */
  subdirectory: string;
  /** An empty directory the clone is made in. */
  workDir: string;
  token?: string;
  limits: ExtractLimits;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

/**
 * Fetches one subdirectory of a git repository at one commit, without
 * downloading the rest of it: a depth-1 fetch of that commit with
 * `--filter=blob:none` (commits and trees only), a non-cone sparse-checkout
 * pattern for the subdirectory, then a checkout, which downloads exactly the
 * blobs under it in one batch.
 *
 * Non-cone mode is deliberate: cone mode always materializes the files at the
 * repository root, which in a template monorepo may be large and are never
 * part of the template. The subdirectory is restricted to a safe character
 * set so the gitignore-style pattern needs no escaping.
 *
 * The number of entries is checked against the limits on the tree listing
 * before any blob is downloaded.
 */
export async function fetchSubdirectory(
  options: FetchSubdirectoryOptions,
): Promise<FetchedSubdirectory> {
  const { repoUrl, workDir, token, limits, signal, log } = options;
  const subdirectory = normalizeTemplatePath(options.subdirectory);
  const ref = options.ref ? validateGitRef(options.ref) : undefined;
  const git: Git = (args: string[]) =>
    runGit({ args, cwd: workDir, token, signal, onLine: log });

  // No template directory: sample hooks are not needed and cost time.
  await git(['init', '-q', '--template=']);
  await writeRemoteConfig(workDir, repoUrl);
  await fetchCommit(git, repoUrl, ref);
  const commitSha = (await git(['rev-parse', 'FETCH_HEAD^{commit}'])).trim();
  const entries = await listTemplateEntries(git, {
    repoUrl,
    commitSha,
    subdirectory,
    limits,
  });
  await checkoutSubdirectory(git, workDir, subdirectory, commitSha);

  const dir = path.join(workDir, ...subdirectory.split('/'));
  return { commitSha, dir, entryCount: entries.length };
}

type Git = (args: string[]) => Promise<string>;

// The remote and the partial-clone and sparse settings are appended to the
// new repository's config file directly: four `git config` processes cost
// more than the whole fetch of a small template. The URL was checked against
// the allow-list and is written as a quoted config value.
async function writeRemoteConfig(workDir: string, repoUrl: string) {
  if (/["\\\n\r]/.test(repoUrl)) {
    throw new InputError(
      `The repository URL ${safeUrl(
        repoUrl,
      )} contains a quote, backslash or line break; use a plain URL.`,
    );
  }
  await fs.appendFile(
    path.join(workDir, '.git', 'config'),
    [
      '[core]',
      '\tsparseCheckout = true',
      '[remote "origin"]',
      `\turl = "${repoUrl}"`,
      '\tfetch = +refs/heads/*:refs/remotes/origin/*',
      '\tpromisor = true',
      '\tpartialclonefilter = blob:none',
      '',
    ].join('\n'),
  );
}

async function fetchCommit(git: Git, repoUrl: string, ref: string | undefined) {
  try {
    await git([
      'fetch',
      '--quiet',
      '--no-tags',
      '--depth',
      '1',
      '--filter=blob:none',
      'origin',
      // `--end-of-options` is not needed: the ref was validated and never
      // starts with "-".
      ref ?? 'HEAD',
    ]);
  } catch (error) {
    const message = String((error as Error).message);
    if (
      /couldn't find remote ref|not our ref|no such remote ref/i.test(message)
    ) {
      throw new NotFoundError(
        `The ref "${ref}" does not exist in ${safeUrl(
          repoUrl,
        )}. Use an existing branch, tag or commit sha, or omit ref to use the default branch.`,
      );
    }
    throw new InputError(
      `Could not fetch ${safeUrl(repoUrl)}${
        ref ? ` at ${ref}` : ''
      }: ${message}. Check the repository URL and that the integration token for this host can read it.`,
    );
  }
}

// Listing the tree needs no blobs, so the limits hold before any download.
async function listTemplateEntries(
  git: Git,
  options: {
    repoUrl: string;
    commitSha: string;
    subdirectory: string;
    limits: ExtractLimits;
  },
): Promise<string[]> {
  const { repoUrl, commitSha, subdirectory, limits } = options;
  const listing = await git([
    'ls-tree',
    '-r',
    '-z',
    '--full-tree',
    commitSha,
    '--',
    `${subdirectory}/`,
  ]);
  const entries = listing.split('\0').filter(Boolean);
  if (entries.length === 0) {
    throw new NotFoundError(
      `The path "${subdirectory}" does not exist (or is empty) in ${safeUrl(
        repoUrl,
      )} at ${commitSha.slice(
        0,
        12,
      )}. Set path to a subdirectory of the template repository.`,
    );
  }
  if (entries.length > limits.maxFiles) {
    throw new InputError(
      `The template "${subdirectory}" has ${entries.length} files, more than the limit of ${limits.maxFiles}. Point path at a smaller subdirectory or raise maxFiles.`,
    );
  }
  const gitlink = entries.find(entry => entry.startsWith('160000 '));
  if (gitlink) {
    throw new InputError(
      `The template contains a git submodule (${
        gitlink.split('\t')[1]
      }); submodules are not extracted. Vendor its files into the template instead.`,
    );
  }
  return entries;
}

async function checkoutSubdirectory(
  git: Git,
  workDir: string,
  subdirectory: string,
  commitSha: string,
) {
  await fs.mkdir(path.join(workDir, '.git', 'info'), { recursive: true });
  await fs.writeFile(
    path.join(workDir, '.git', 'info', 'sparse-checkout'),
    `/${subdirectory}/\n`,
  );
  await git(['checkout', '-q', '--detach', commitSha]);
}
