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
  signal?: AbortSignal;
}

/**
 * Pushes the files of a directory as one commit on `branch`, idempotently:
 * on an empty repository it is the first commit; when the branch already
 * exists it becomes a new commit on top of it — unless the branch already
 * holds exactly these files, in which case nothing is pushed and the
 * existing head is returned. Returns the commit sha the branch points at.
 */
export async function pushWorkspace(
  options: PushWorkspaceOptions,
): Promise<string> {
  const { sourceDir, scratchDir, remoteUrl, token, message, author, signal } =
    options;
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
  let parent: string | undefined;
  try {
    await git([
      'fetch',
      '-q',
      '--depth',
      '1',
      'origin',
      `refs/heads/${branch}`,
    ]);
    parent = (await git(['rev-parse', 'FETCH_HEAD^{commit}'])).trim();
  } catch (error) {
    if (!/couldn't find remote ref/i.test(String((error as Error).message))) {
      throw error;
    }
  }
  await git(['add', '-A', '.']);
  const tree = (await git(['write-tree'])).trim();
  if (parent) {
    const parentTree = (await git(['rev-parse', `${parent}^{tree}`])).trim();
    if (parentTree === tree) {
      return parent;
    }
  }
  const commit = (
    await git([
      'commit-tree',
      tree,
      ...(parent ? ['-p', parent] : []),
      '-m',
      message,
    ])
  ).trim();
  await git(['push', '-q', 'origin', `${commit}:refs/heads/${branch}`]);
  return commit;
}
