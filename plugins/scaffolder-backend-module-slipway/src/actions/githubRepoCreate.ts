import { Config } from '@backstage/config';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { githubTarget, GithubTarget } from '../github/client';
import {
  describeGithubError,
  githubCall,
  githubStatus,
} from '../github/errors';
import { sourceDirectory } from '../git/sourceDirectory';
import { applySettings, pushStep, RepoState } from './githubRepoCreate.steps';
import { examples } from './githubRepoCreate.examples';

/**
 * `slipway:github:repo:create`: a repository for a user or an organization
 * with the workspace pushed as its first commit; re-runnable.
 *
 * @internal
 */
export function createGithubRepoCreateAction(options: { config: Config }) {
  const { config } = options;

  return createTemplateAction({
    id: 'slipway:github:repo:create',
    description:
      'Creates a GitHub repository for a user or an organization (detected through the API) and pushes the workspace as its first commit. Re-runs are safe: ifExists: reuse adopts an existing repository that is empty or already holds these files (never rewriting its history or default branch), fail stops with a clear error.',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        repoUrl: z =>
          z.string({
            description:
              'Repository location as host?owner=<user or org>&repo=<name> (RepoUrlPicker).',
          }),
        description: z =>
          z.string({ description: 'Repository description.' }).optional(),
        visibility: z =>
          z
            .enum(['public', 'private', 'internal'], {
              description: 'Repository visibility (private by default).',
            })
            .optional(),
        topics: z =>
          z
            .array(z.string(), {
              description: 'Topics (lowercase letters, digits and hyphens).',
            })
            .optional(),
        defaultBranch: z =>
          z
            .string({
              description:
                'The branch to push to and make the default ("main").',
            })
            .optional(),
        ifExists: z =>
          z
            .enum(['fail', 'reuse'], {
              description:
                'What to do when the repository already exists: fail (default), or reuse it when it is empty or already holds exactly these files (a re-run). A reused repository with other history is never changed: the step fails.',
            })
            .optional(),
        sourcePath: z =>
          z
            .string({
              description:
                'Workspace subdirectory to push (the whole workspace by default).',
            })
            .optional(),
        gitCommitMessage: z =>
          z.string({ description: 'Message of the pushed commit.' }).optional(),
        gitAuthorName: z =>
          z.string({ description: 'Commit author name.' }).optional(),
        gitAuthorEmail: z =>
          z.string({ description: 'Commit author email.' }).optional(),
        token: z =>
          z
            .string({
              description:
                'A GitHub token to use instead of the integration token (e.g. ${{ secrets.USER_OAUTH_TOKEN }}).',
            })
            .optional(),
      },
      output: {
        remoteUrl: z => z.string({ description: 'Git clone URL.' }),
        repoContentsUrl: z =>
          z.string({
            description:
              'URL of the default branch contents (for catalog:register).',
          }),
        htmlUrl: z => z.string({ description: 'Web URL of the repository.' }),
        commitHash: z =>
          z.string({ description: 'The commit the default branch points at.' }),
        created: z =>
          z.boolean({
            description: 'False when an existing repository was reused.',
          }),
      },
    },
    async handler(ctx) {
      const { input } = ctx;
      const ifExists = input.ifExists ?? 'fail';
      const branch = input.defaultBranch ?? 'main';
      const sourceDir = await sourceDirectory(
        ctx.workspacePath,
        input.sourcePath ?? '.',
      );
      const topics = input.topics ?? [];
      const badTopic = topics.find(t => !/^[a-z0-9][a-z0-9-]{0,49}$/.test(t));
      if (badTopic !== undefined) {
        throw new InputError(
          `Invalid topic "${badTopic}": topics are lowercase letters, digits and hyphens, at most 50 characters, starting with a letter or digit.`,
        );
      }
      const target = await githubTarget({
        config,
        repoUrl: input.repoUrl,
        token: input.token,
      });
      const { host, owner, repo } = target;
      const fullName = `${owner}/${repo}`;

      if (ctx.isDryRun) {
        ctx.logger.info(
          `Dry run: would create ${fullName} on ${host} (${
            input.visibility ?? 'private'
          }, ifExists: ${ifExists}) and push ${
            input.sourcePath ?? 'the workspace'
          } to ${branch}`,
        );
        const htmlUrl = `https://${host}/${fullName}`;
        ctx.output('remoteUrl', `${htmlUrl}.git`);
        ctx.output('repoContentsUrl', `${htmlUrl}/blob/${branch}`);
        ctx.output('htmlUrl', htmlUrl);
        ctx.output('commitHash', '0000000000000000000000000000000000000000');
        ctx.output('created', true);
        return;
      }

      const state = await ctx.checkpoint<RepoState>({
        key: `slipway.github.repo.create:${host}/${fullName}`,
        fn: () => ensureRepository(target, input, ifExists, ctx.logger),
      });
      // The push comes first: when it refuses (a reused repository whose
      // history the workspace does not extend), nothing else is changed.
      const commitHash = await ctx.checkpoint({
        key: `slipway.github.repo.push:${host}/${fullName}#${branch}`,
        fn: async () =>
          pushStep({
            config,
            input,
            sourceDir,
            scratchDir: await ctx.createTemporaryDirectory(),
            target,
            state,
            branch,
            signal: ctx.signal,
          }),
      });
      await applySettings(ctx, target, state, {
        description: input.description,
        topics,
        branch,
      });

      ctx.logger.info(
        `${state.created ? 'Created' : 'Reused'} ${
          state.htmlUrl
        }; ${branch} is at ${commitHash}`,
      );
      ctx.output('remoteUrl', state.cloneUrl);
      ctx.output('repoContentsUrl', `${state.htmlUrl}/blob/${branch}`);
      ctx.output('htmlUrl', state.htmlUrl);
      ctx.output('commitHash', commitHash);
      ctx.output('created', state.created);
    },
  });
}

async function ensureRepository(
  target: GithubTarget,
  input: {
    description?: string;
    visibility?: 'public' | 'private' | 'internal';
  },
  ifExists: 'fail' | 'reuse',
  logger: { info(message: string): void },
): Promise<RepoState> {
  const { owner, repo } = target;
  const fullName = `${owner}/${repo}`;

  const existing = await findRepo(target);
  if (existing) {
    if (ifExists === 'fail') throw existsError(target);
    logger.info(`Reusing the existing repository ${fullName}`);
    return toState(existing, false);
  }

  const account = await lookUpOwner(target);
  const visibility = input.visibility ?? 'private';
  const fields = {
    name: repo,
    description: input.description,
    private: visibility !== 'public',
  };

  try {
    return await createRepo(target, account, fields, visibility, logger);
  } catch (error) {
    if (githubStatus(error) === 422) {
      // Created meanwhile (a concurrent or earlier, unrecorded run).
      const again = await findRepo(target);
      if (again && ifExists === 'reuse') return toState(again, false);
      if (
        again ||
        /already exists/i.test(
          JSON.stringify((error as any).response?.data ?? ''),
        )
      ) {
        throw existsError(target);
      }
    }
    if (githubStatus(error) === undefined) throw error;
    throw describeGithubError(
      error,
      `create the repository ${fullName}`,
      target.host,
    );
  }
}

function toState(
  data: { clone_url: string; html_url: string; default_branch?: string },
  created: boolean,
): RepoState {
  return {
    created,
    cloneUrl: data.clone_url,
    htmlUrl: data.html_url,
    defaultBranch: data.default_branch ?? 'main',
  };
}

function existsError(target: GithubTarget) {
  return new ConflictError(
    `The repository ${target.owner}/${target.repo} already exists on ${target.host}. Choose another name, or set ifExists: reuse to adopt it.`,
  );
}

async function lookUpOwner(target: GithubTarget) {
  const { octokit, host, owner } = target;
  return githubCall(`look up the owner ${owner}`, host, async () => {
    try {
      return (await octokit.users.getByUsername({ username: owner })).data;
    } catch (error) {
      if (githubStatus(error) === 404) {
        throw new NotFoundError(
          `The owner "${owner}" does not exist on ${host}. Use an existing user or organization.`,
        );
      }
      throw error;
    }
  });
}

async function createRepo(
  target: GithubTarget,
  account: { type: string },
  fields: { name: string; description?: string; private: boolean },
  visibility: 'public' | 'private' | 'internal',
  logger: { info(message: string): void },
): Promise<RepoState> {
  const { octokit, owner, repo } = target;
  if (account.type === 'Organization') {
    logger.info(`Creating ${owner}/${repo} in the organization ${owner}`);
    const { data } = await octokit.repos.createInOrg({
      org: owner,
      ...fields,
      // GitHub accepts "internal" for Enterprise organizations; the
      // Octokit 19 types predate it.
      visibility: visibility as 'public' | 'private',
    });
    return toState(data, true);
  }
  await assertTokenOfOwner(target);
  logger.info(`Creating ${owner}/${repo} for the user ${owner}`);
  const { data } = await octokit.repos.createForAuthenticatedUser(fields);
  return toState(data, true);
}

// A user account: repositories can only be created for the token's own user,
// and never with an App installation token.
async function assertTokenOfOwner(target: GithubTarget) {
  const { octokit, host, owner } = target;
  let login: string;
  try {
    login = (await octokit.users.getAuthenticated()).data.login;
  } catch (error) {
    if (githubStatus(error) === 403) {
      throw new NotAllowedError(
        `${owner} is a user account, and the GitHub token for ${host} is a GitHub App installation token: GitHub does not let Apps create repositories in user accounts. Create the repository in an organization, or configure a personal access token of ${owner} in integrations.github (or pass token).`,
      );
    }
    throw error;
  }
  if (login.toLowerCase() !== owner.toLowerCase()) {
    throw new NotAllowedError(
      `${owner} is a user account, but the GitHub token for ${host} belongs to ${login}: a token can only create repositories for its own user. Use owner ${login}, an organization, or a token of ${owner}.`,
    );
  }
}

async function findRepo(target: GithubTarget) {
  const { octokit, host, owner, repo } = target;
  return githubCall(`look up ${owner}/${repo}`, host, async () => {
    try {
      return (await octokit.repos.get({ owner, repo })).data;
    } catch (error) {
      if (githubStatus(error) === 404) return undefined;
      throw error;
    }
  });
}
