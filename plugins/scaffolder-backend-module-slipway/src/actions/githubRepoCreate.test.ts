import { GithubTestServer } from '@slipway/github-test-server';
import yaml from 'yaml';
import {
  mockContext,
  outputsOf,
  removeTempDirs,
  writeFiles,
} from '../__testUtils__/fixtures';
import {
  gitAsync,
  githubConfig,
  startGithub,
  TOKENS,
} from '../__testUtils__/github';
import { createGithubRepoCreateAction } from './githubRepoCreate';
import { examples } from './githubRepoCreate.examples';

jest.setTimeout(60_000);

describe('slipway:github:repo:create', () => {
  let github: GithubTestServer;
  beforeAll(async () => {
    github = await startGithub();
  });
  afterAll(async () => {
    await github.close();
    removeTempDirs();
  });

  const run = async (
    input: Record<string, unknown>,
    opts: {
      token?: string;
      files?: Record<string, string>;
      dryRun?: boolean;
    } = {},
  ) => {
    const action = createGithubRepoCreateAction({
      config: githubConfig(github, opts.token),
    });
    const ctx = mockContext(input as any, { isDryRun: opts.dryRun });
    writeFiles(
      ctx.workspacePath,
      opts.files ?? {
        'README.md': '# hello\n',
        'src/index.js': 'console.log(1)\n',
      },
    );
    await action.handler(ctx as any);
    return { ctx, outputs: outputsOf(ctx) };
  };
  const filesOn = (owner: string, repo: string, branch: string) =>
    gitAsync([
      '--git-dir',
      github.repoPath(owner, repo),
      'ls-tree',
      '-r',
      '--name-only',
      branch,
    ]);

  it('runs every documented example: organization and user owners are told apart through the API', async () => {
    for (const { example } of examples) {
      const input = yaml.parse(example).steps[0].input;
      input.repoUrl = input.repoUrl.replace('github.com', github.host);
      const before = github.requests.length;
      const { outputs } = await run(input);
      const { owner, repo } = Object.fromEntries(
        new URLSearchParams(input.repoUrl.split('?')[1]),
      );
      const branch = input.defaultBranch ?? 'main';
      expect(outputs).toEqual({
        remoteUrl: `${github.baseUrl}/${owner}/${repo}.git`,
        repoContentsUrl: `${github.baseUrl}/${owner}/${repo}/blob/${branch}`,
        htmlUrl: `${github.baseUrl}/${owner}/${repo}`,
        commitHash: expect.stringMatching(/^[0-9a-f]{40}$/),
        created: true,
      });
      expect(await filesOn(owner, repo, branch)).toBe(
        'README.md\nsrc/index.js',
      );
      expect(
        await gitAsync([
          '--git-dir',
          github.repoPath(owner, repo),
          'rev-parse',
          branch,
        ]),
      ).toBe(outputs.commitHash);
      const calls = github.requests
        .slice(before)
        .map(r => `${r.method} ${r.path}`);
      // What each example must have caused: an org repository through
      // /orgs/…/repos, a user repository through /user/repos.
      const expected: Record<string, { calls: string[]; repo: object }> = {
        acme: {
          calls: ['GET /api/v3/users/acme', 'POST /api/v3/orgs/acme/repos'],
          repo: {
            private: true,
            topics: ['slipway', 'nodejs'],
            description: 'Orders service',
          },
        },
        alice: {
          calls: [
            'GET /api/v3/users/alice',
            'GET /api/v3/user',
            'POST /api/v3/user/repos',
          ],
          repo: { private: false, defaultBranch: 'trunk' },
        },
      };
      expect(calls).toEqual(expect.arrayContaining(expected[owner].calls));
      expect(github.repo(owner, repo)).toMatchObject(expected[owner].repo);
    }
  });

  it('fails clearly when the repository exists, and reuses it with ifExists: reuse without a new commit when it holds the same files', async () => {
    const input = { repoUrl: `${github.host}?owner=acme&repo=rerun` };
    const first = await run(input);
    await expect(run(input)).rejects.toThrow(
      `The repository acme/rerun already exists on ${github.host}. Choose another name, or set ifExists: reuse to adopt it.`,
    );
    const again = await run({ ...input, ifExists: 'reuse' });
    expect(again.outputs.created).toBe(false);
    expect(again.outputs.commitHash).toBe(first.outputs.commitHash);
    // Other files are not pushed onto a repository this task did not
    // create (githubRepoCreate.reuse.test.ts has the details).
    await expect(
      run(
        { ...input, ifExists: 'reuse' },
        { files: { 'README.md': '# changed\n' } },
      ),
    ).rejects.toThrow(/the workspace does not extend its history/);
    expect(
      await gitAsync([
        '--git-dir',
        github.repoPath('acme', 'rerun'),
        'rev-parse',
        'main',
      ]),
    ).toBe(first.outputs.commitHash);
  });

  it('validates names before any call', async () => {
    const before = github.requests.length;
    await expect(
      run({ repoUrl: `${github.host}?owner=acme&repo=bad name` }),
    ).rejects.toThrow(/"bad name" is not a valid GitHub repository name/);
    await expect(
      run({ repoUrl: `${github.host}?owner=acme&repo=svc.git` }),
    ).rejects.toThrow(/must not end with "\.git"\. Use "svc"/);
    await expect(
      run({ repoUrl: `${github.host}?owner=-acme&repo=svc` }),
    ).rejects.toThrow(/not a valid GitHub owner/);
    await expect(
      run({ repoUrl: `${github.host}?owner=acme&repo=ok`, topics: ['Not OK'] }),
    ).rejects.toThrow(/Invalid topic "Not OK"/);
    expect(github.requests.length).toBe(before);
  });

  it('says which scope the token lacks', async () => {
    await expect(
      run(
        { repoUrl: `${github.host}?owner=alice&repo=noscope` },
        { token: TOKENS.weak },
      ),
    ).rejects.toThrow(
      `The GitHub token for ${github.host} lacks the scope needed to create the repository alice/noscope: it has [read:user], GitHub accepts one of [repo, public_repo].`,
    );
  });

  it('explains that a GitHub App token cannot create a user repository, and creates org repositories with it', async () => {
    await expect(
      run(
        { repoUrl: `${github.host}?owner=alice&repo=by-app` },
        { token: TOKENS.app },
      ),
    ).rejects.toThrow(
      /alice is a user account, and the GitHub token .* is a GitHub App installation token/,
    );
    const { outputs } = await run(
      { repoUrl: `${github.host}?owner=acme&repo=by-app` },
      { token: TOKENS.app },
    );
    expect(outputs.created).toBe(true);
  });

  it('refuses a user owner other than the token user, and an unknown owner', async () => {
    await expect(
      run({ repoUrl: `${github.host}?owner=bob&repo=not-mine` }),
    ).rejects.toThrow(
      /bob is a user account, but the GitHub token for .* belongs to alice/,
    );
    await expect(
      run({ repoUrl: `${github.host}?owner=nobody&repo=x` }),
    ).rejects.toThrow(`The owner "nobody" does not exist on ${github.host}`);
  });

  it('reports the rate limit with the time to retry', async () => {
    const reset = Math.floor(Date.now() / 1000) + 90;
    github.setRateLimit(0, reset);
    try {
      await expect(
        run({ repoUrl: `${github.host}?owner=acme&repo=limited` }),
      ).rejects.toThrow(`retry after ${new Date(reset * 1000).toISOString()}`);
    } finally {
      github.setRateLimit(5000);
    }
    github.injectResponse({
      status: 403,
      headers: { 'retry-after': '30' },
      body: { message: 'You have exceeded a secondary rate limit.' },
    });
    await expect(
      run({ repoUrl: `${github.host}?owner=acme&repo=limited` }),
    ).rejects.toThrow(/rate limit exceeded .* \(in 30 s\)/);
  });

  it('makes no call in a dry run', async () => {
    const before = github.requests.length;
    const { outputs } = await run(
      { repoUrl: `${github.host}?owner=acme&repo=dry` },
      { dryRun: true },
    );
    expect(outputs.created).toBe(true);
    expect(github.requests.length).toBe(before);
    expect(github.repo('acme', 'dry')).toBeUndefined();
  });

  it('never puts the token in outputs or in the remote URL', async () => {
    const { outputs } = await run({
      repoUrl: `${github.host}?owner=acme&repo=secret-check`,
    });
    expect(JSON.stringify(outputs)).not.toContain(TOKENS.alice);
    expect(String(outputs.remoteUrl)).not.toMatch(/@/);
  });
});
