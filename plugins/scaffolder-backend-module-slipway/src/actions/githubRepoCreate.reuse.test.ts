import { GithubTestServer } from '@slipway/github-test-server';
import fs from 'node:fs';
import path from 'node:path';
import {
  mockContext,
  outputsOf,
  removeTempDirs,
  tempDir,
  writeFiles,
} from '../__testUtils__/fixtures';
import {
  gitAsync,
  githubConfig,
  startGithub,
  TOKENS,
} from '../__testUtils__/github';
import { createGithubRepoCreateAction } from './githubRepoCreate';

jest.setTimeout(60_000);

const FILES = { 'README.md': '# orders\n', 'src/index.js': 'console.log(1)\n' };

/**
 * `ifExists: reuse` against repositories someone else made, served by the
 * GitHub test server over smart HTTP (git http-backend): whatever the step
 * refuses, the remote's refs, HEAD, default branch, description and topics
 * are the same afterwards.
 */
describe('slipway:github:repo:create with ifExists: reuse', () => {
  let github: GithubTestServer;
  beforeAll(async () => {
    github = await startGithub();
  });
  afterAll(async () => {
    await github.close();
    removeTempDirs();
  });

  const action = () =>
    createGithubRepoCreateAction({ config: githubConfig(github) });
  const run = async (
    input: Record<string, unknown>,
    opts: {
      files?: Record<string, string>;
      checkpoints?: Map<string, unknown>;
      workspacePath?: string;
    } = {},
  ) => {
    const ctx = mockContext(input as any, {
      workspacePath: opts.workspacePath,
    });
    writeFiles(ctx.workspacePath, opts.files ?? FILES);
    const store = opts.checkpoints;
    if (store) {
      // A task store: a recovered task gets what its checkpoints recorded.
      Object.assign(ctx, {
        checkpoint: async (step: { key: string; fn: () => Promise<any> }) => {
          if (!store.has(step.key)) store.set(step.key, await step.fn());
          return store.get(step.key);
        },
      });
    }
    await action().handler(ctx as any);
    return outputsOf(ctx);
  };

  /** Everything about the remote a push or an API call could change. */
  const remoteState = async (owner: string, name: string) => {
    const gitDir = github.repoPath(owner, name);
    const repo = github.repo(owner, name)!;
    return {
      refs: await gitAsync([
        '--git-dir',
        gitDir,
        'for-each-ref',
        '--format=%(refname) %(objectname)',
      ]),
      head: await gitAsync(['--git-dir', gitDir, 'symbolic-ref', 'HEAD']),
      defaultBranch: repo.defaultBranch,
      description: repo.description,
      topics: [...repo.topics],
    };
  };

  /** Someone else's history, pushed over HTTP: main and dev. */
  const seedForeignHistory = async (name: string) => {
    github.createRepo('acme', name, { description: 'Theirs' });
    const work = tempDir('slipway-foreign-');
    fs.writeFileSync(path.join(work, 'README.md'), '# their service\n');
    const basic = Buffer.from(`x-access-token:${TOKENS.alice}`).toString(
      'base64',
    );
    const git = (args: string[]) =>
      gitAsync(
        [
          '-c',
          `http.extraHeader=Authorization: Basic ${basic}`,
          '-c',
          'user.name=Them',
          '-c',
          'user.email=them@example.com',
          ...args,
        ],
        work,
      );
    await git(['init', '-q', '-b', 'main']);
    await git(['add', '-A']);
    await git(['commit', '-q', '-m', 'their work']);
    const url = `${github.baseUrl}/acme/${name}.git`;
    await git(['push', '-q', url, 'main', 'main:dev']);
  };
  const pushesSince = (index: number) =>
    github.requests
      .slice(index)
      .filter(r => r.path.endsWith('/git-receive-pack'));
  const apiWritesSince = (index: number) =>
    github.requests
      .slice(index)
      .filter(r => r.path.startsWith('/api/') && r.method !== 'GET');

  it('refuses a repository with other history on the branch, and changes nothing on it', async () => {
    await seedForeignHistory('theirs');
    const before = await remoteState('acme', 'theirs');
    const requests = github.requests.length;
    await expect(
      run({
        repoUrl: `${github.host}?owner=acme&repo=theirs`,
        ifExists: 'reuse',
        description: 'Hijacked',
        topics: ['hijacked'],
      }),
    ).rejects.toMatchObject({
      name: 'ConflictError',
      message: expect.stringMatching(
        /^The repository acme\/theirs on .* is not empty and its branch main holds other files than the workspace, so the workspace does not extend its history\..* Nothing was pushed or changed\. Choose another repository name, or use ifExists: fail/,
      ),
    });
    expect(await remoteState('acme', 'theirs')).toEqual(before);
    expect(pushesSince(requests)).toEqual([]);
    expect(apiWritesSince(requests)).toEqual([]);
  });

  it('refuses a repository with history but without the branch: never a new root branch, never a changed default branch', async () => {
    await seedForeignHistory('no-trunk');
    const before = await remoteState('acme', 'no-trunk');
    const requests = github.requests.length;
    await expect(
      run({
        repoUrl: `${github.host}?owner=acme&repo=no-trunk`,
        ifExists: 'reuse',
        defaultBranch: 'trunk',
      }),
    ).rejects.toThrow(
      /acme\/no-trunk on .* is not empty and has no branch trunk, so the workspace does not extend its history/,
    );
    expect(await remoteState('acme', 'no-trunk')).toEqual(before);
    expect(before.defaultBranch).toBe('main');
    expect(pushesSince(requests)).toEqual([]);
    expect(apiWritesSince(requests)).toEqual([]);
  });

  it('pushes into an empty repository someone else made, leaving the default branch to GitHub', async () => {
    github.createRepo('acme', 'vacant');
    const requests = github.requests.length;
    const outputs = await run({
      repoUrl: `${github.host}?owner=acme&repo=vacant`,
      ifExists: 'reuse',
      defaultBranch: 'trunk',
    });
    expect(outputs).toMatchObject({ created: false });
    const after = await remoteState('acme', 'vacant');
    expect(after.refs).toBe(`refs/heads/trunk ${outputs.commitHash}`);
    // GitHub made the first pushed branch the default; Slipway did not ask.
    expect(after).toMatchObject({
      defaultBranch: 'trunk',
      head: 'refs/heads/trunk',
    });
    expect(apiWritesSince(requests)).toEqual([]);
  });

  it('re-running the same template reuses the repository and its commit; a recovered task pushes nothing again', async () => {
    const repoUrl = `${github.host}?owner=acme&repo=again`;
    const checkpoints = new Map<string, unknown>();
    const first = await run({ repoUrl, ifExists: 'reuse' }, { checkpoints });
    expect(first.created).toBe(true);
    const state = await remoteState('acme', 'again');

    let requests = github.requests.length;
    const recovered = await run(
      { repoUrl, ifExists: 'reuse' },
      { checkpoints },
    );
    expect(recovered).toEqual(first);
    expect(github.requests.length).toBe(requests);

    requests = github.requests.length;
    const rerun = await run({ repoUrl, ifExists: 'reuse' });
    expect(rerun).toMatchObject({
      created: false,
      commitHash: first.commitHash,
    });
    expect(await remoteState('acme', 'again')).toEqual(state);
    expect(pushesSince(requests)).toEqual([]);

    // A re-run with other values is another template's output: refused.
    await expect(
      run(
        { repoUrl, ifExists: 'reuse' },
        { files: { ...FILES, 'README.md': '# renamed\n' } },
      ),
    ).rejects.toThrow(/the workspace does not extend its history/);
    expect(await remoteState('acme', 'again')).toEqual(state);
  });

  it('never pushes files from outside the workspace through a sourcePath link', async () => {
    const box = tempDir('slipway-box-');
    const workspace = path.join(box, 'workspace');
    fs.mkdirSync(workspace);
    fs.mkdirSync(path.join(box, 'secrets'));
    fs.writeFileSync(path.join(box, 'secrets/id_rsa'), 'PRIVATE');
    fs.symlinkSync('../secrets', path.join(workspace, 'src'));
    const requests = github.requests.length;
    await expect(
      run(
        { repoUrl: `${github.host}?owner=acme&repo=leak`, sourcePath: 'src' },
        { workspacePath: workspace, files: {} },
      ),
    ).rejects.toMatchObject({
      name: 'InputError',
      message: expect.stringMatching(
        /The sourcePath "src" leads outside the workspace through a link/,
      ),
    });
    expect(github.requests.length).toBe(requests);
    expect(github.repo('acme', 'leak')).toBeUndefined();
  });
});
