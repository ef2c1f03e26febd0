import { Config } from '@backstage/config';
import { isError } from '@backstage/errors';
import { ActionContext } from '@backstage/plugin-scaffolder-node';
import { GithubTarget } from '../github/client';
import { githubCall } from '../github/errors';
import { pushWorkspace } from '../git/pushWorkspace';

/** What the repository step recorded (its checkpoint). */
export interface RepoState {
  created: boolean;
  cloneUrl: string;
  htmlUrl: string;
  defaultBranch: string;
  [key: string]: string | boolean;
}

/**
 * Pushes the workspace (see pushWorkspace for what it refuses). Returns the
 * commit the branch points at. Errors of git itself come back saying what
 * to check; a refusal (a ConflictError) as it is.
 */
export async function pushStep(options: {
  config: Config;
  input: {
    gitCommitMessage?: string;
    gitAuthorName?: string;
    gitAuthorEmail?: string;
  };
  sourceDir: string;
  scratchDir: string;
  target: GithubTarget;
  state: RepoState;
  branch: string;
  signal?: AbortSignal;
}): Promise<string> {
  const { config, input, target, state } = options;
  const repository = `${target.owner}/${target.repo} on ${target.host}`;
  try {
    const { commit } = await pushWorkspace({
      sourceDir: options.sourceDir,
      scratchDir: options.scratchDir,
      remoteUrl: state.cloneUrl,
      branch: options.branch,
      token: target.token,
      createdByThisTask: state.created,
      repository,
      message:
        input.gitCommitMessage ??
        config.getOptionalString('scaffolder.defaultCommitMessage') ??
        'Initial commit',
      author: {
        name:
          input.gitAuthorName ??
          config.getOptionalString('scaffolder.defaultAuthor.name') ??
          'Slipway',
        email:
          input.gitAuthorEmail ??
          config.getOptionalString('scaffolder.defaultAuthor.email') ??
          'slipway@users.noreply.github.com',
      },
      signal: options.signal,
    });
    return commit;
  } catch (error) {
    if (isError(error) && error.name === 'ConflictError') throw error;
    throw new Error(
      `Could not push the workspace to ${repository}: ${
        (error as Error).message
      }. Check that the token may push to the repository (scope repo, or App permission contents: write).`,
    );
  }
}

/**
 * Description, topics and the default branch, after a successful push. The
 * default branch is changed only on a repository this task created: a
 * reused one keeps its own (when it was empty, GitHub made the first pushed
 * branch its default by itself).
 */
export async function applySettings(
  ctx: Pick<ActionContext<any, any>, 'checkpoint' | 'logger'>,
  target: GithubTarget,
  state: RepoState,
  settings: { description?: string; topics: string[]; branch: string },
): Promise<void> {
  const { octokit, host, owner, repo } = target;
  const fullName = `${owner}/${repo}`;
  const { description, topics, branch } = settings;
  if (description !== undefined && !state.created) {
    await ctx.checkpoint({
      key: `slipway.github.repo.description:${host}/${fullName}`,
      fn: async () => {
        await githubCall(`update the description of ${fullName}`, host, () =>
          octokit.repos.update({ owner, repo, description }),
        );
      },
    });
  }
  if (topics.length) {
    await ctx.checkpoint({
      key: `slipway.github.repo.topics:${host}/${fullName}`,
      fn: async () => {
        await githubCall(`set the topics of ${fullName}`, host, () =>
          octokit.repos.replaceAllTopics({ owner, repo, names: topics }),
        );
      },
    });
  }
  if (state.defaultBranch === branch) return;
  if (!state.created) {
    ctx.logger.info(
      `${fullName} keeps its default branch: Slipway does not change the default branch of a repository it did not create`,
    );
    return;
  }
  await ctx.checkpoint({
    key: `slipway.github.repo.defaultBranch:${host}/${fullName}#${branch}`,
    fn: async () => {
      await githubCall(
        `make ${branch} the default branch of ${fullName}`,
        host,
        () => octokit.repos.update({ owner, repo, default_branch: branch }),
      );
    },
  });
}
