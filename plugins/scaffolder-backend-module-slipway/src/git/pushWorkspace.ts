import { ConflictError } from '@backstage/errors';
import { runGit, validateGitRef } from '@slipway/plugin-slipway-node';
import path from 'node:path';

/** Options of {@link pushWorkspace}. */
export interface PushWorkspaceOptions {
  /** The directory whose files become the commit's tree. */
  sourceDir: string;
  /** An empty scratch directory for the git metadata (kept out of the workspace). */
  scratchDir: string;
  remoteUrl: string;
  branch: string;
  token: string;
  message: string;
  author: { name: string; email: string };
  /**
   * Whether this task created the repository. Only then may a new commit go
   * on top of history that is already there; a repository it did not
   * create receives a push only while it is empty.
   */
  createdByThisTask: boolean;
  /** `owner/name on host`, for messages. */
  repository: string;
  signal?: AbortSignal;
}

/** What {@link pushWorkspace} did. */
export interface PushResult {
  /** The commit the branch points at. */
  commit: string;
  /** False when the branch already held exactly these files. */
  pushed: boolean;
}

/**
 * Pushes the files of a directory as one commit on `branch`, idempotently
 * and never destructively:
 *
 * - When the branch already holds exactly these files (a re-run of the same
 *   template), nothing is pushed and its head is returned.
 * - An empty repository gets them as its first commit.
 * - A repository with history gets a new commit on top of the branch only
 *   when this task created it (`createdByThisTask`). Otherwise the
 *   workspace does not extend that history: a ConflictError, and nothing is
 *   pushed. A push is never forced: the remote accepts it only as a
 *   fast-forward of what was fetched, or as a branch that did not exist.
 */
export async function pushWorkspace(
  options: PushWorkspaceOptions,
): Promise<PushResult> {
  const { sourceDir, scratchDir, remoteUrl, token, author, signal } = options;
  const branch = validateGitRef(options.branch, 'branch');
  const gitDir = path.join(scratchDir, '.git');
  const git = (args: string[]) =>
    runGit({
      args: [
        '--git-dir',
        gitDir,
        '--work-tree',
        sourceDir,
        '-c',
        `user.name=${author.name}`,
        '-c',
        `user.email=${author.email}`,
        ...args,
      ],
      cwd: sourceDir,
      token,
      signal,
    });
  await runGit({ args: ['init', '-q', scratchDir] });
  await git(['remote', 'add', 'origin', remoteUrl]);

  const refs = await remoteRefs(git);
  let head: string | undefined;
  if (refs.has(`refs/heads/${branch}`)) {
    await git([
      'fetch',
      '-q',
      '--depth',
      '1',
      'origin',
      `refs/heads/${branch}`,
    ]);
    head = (await git(['rev-parse', 'FETCH_HEAD^{commit}'])).trim();
  }
  await git(['add', '-A', '.']);
  const tree = (await git(['write-tree'])).trim();
  if (head && (await git(['rev-parse', `${head}^{tree}`])).trim() === tree) {
    return { commit: head, pushed: false };
  }
  if (refs.size > 0 && !options.createdByThisTask) {
    throw new ConflictError(
      `The repository ${options.repository} is not empty and ${
        head
          ? `its branch ${branch} holds other files than the workspace`
          : `has no branch ${branch}`
      }, so the workspace does not extend its history. With ifExists: reuse, Slipway pushes only to an empty repository or to one whose ${branch} already holds exactly these files (a re-run of the same template); it never rewrites a repository it did not create. Nothing was pushed or changed. Choose another repository name, or use ifExists: fail to stop when the repository exists.`,
    );
  }
  const commit = (
    await git([
      'commit-tree',
      tree,
      ...(head ? ['-p', head] : []),
      '-m',
      options.message,
    ])
  ).trim();
  // No "+" and no --force: a fast-forward, or a new branch, or refused.
  await git(['push', '-q', 'origin', `${commit}:refs/heads/${branch}`]);
  return { commit, pushed: true };
}

/** The remote's refs (name → sha); none for an empty repository. */
async function remoteRefs(
  git: (args: string[]) => Promise<string>,
): Promise<Map<string, string>> {
  const listing = await git(['ls-remote', 'origin']);
  const refs = new Map<string, string>();
  for (const line of listing.split('\n')) {
    const [sha, name] = line.trim().split('\t');
    if (sha && name?.startsWith('refs/')) refs.set(name, sha);
  }
  return refs;
}
