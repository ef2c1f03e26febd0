import { ConfigReader } from '@backstage/config';
import {
  makeRepo,
  mockContext,
  removeTempDirs,
} from '../__testUtils__/fixtures';
import { createTemplateExtractAction } from './templateExtract';

// git processes are slow when the machine is busy (2 shared cores).
jest.setTimeout(60_000);

const action = createTemplateExtractAction({
  config: new ConfigReader({ slipway: { allowedRepositories: ['file://'] } }),
});

describe('slipway:template:extract path safety', () => {
  afterAll(removeTempDirs);

  const run = (input: Record<string, unknown>) =>
    action.handler(mockContext(input as any) as any);

  it('refuses ".." and absolute template paths before any git call', async () => {
    const repo = makeRepo({ 'tpl/a.txt': 'a' });
    await expect(run({ repoUrl: repo.url, path: '../etc' })).rejects.toThrow(
      /Invalid template path "..\/etc": it contains ".."/,
    );
    await expect(
      run({ repoUrl: repo.url, path: 'tpl/../../x' }),
    ).rejects.toThrow(/contains "\.\."/);
    await expect(run({ repoUrl: repo.url, path: '/etc' })).rejects.toThrow(
      /it is absolute/,
    );
    await expect(
      run({ repoUrl: repo.url, path: '-upload-pack=x' }),
    ).rejects.toThrow(/starts with "\." or "-"/);
  });

  it('refuses a targetPath outside the workspace', async () => {
    const repo = makeRepo({ 'tpl/a.txt': 'a' });
    await expect(
      run({ repoUrl: repo.url, path: 'tpl', targetPath: '../../outside' }),
    ).rejects.toThrow(/outside/i);
  });

  it('refuses a file name that renders to a path outside the target', async () => {
    const repo = makeRepo({ 'tpl/${{ values.name }}/a.txt': 'a' });
    await expect(
      run({
        repoUrl: repo.url,
        path: 'tpl',
        values: { name: '../../escaped' },
      }),
    ).rejects.toThrow(/would be written outside the target directory/);
  });

  it('refuses a symlink pointing outside the subdirectory', async () => {
    const repo = makeRepo({
      'tpl/a.txt': 'a',
      'tpl/secret': { symlink: '../other/secret.txt' },
      'other/secret.txt': 'secret',
    });
    await expect(run({ repoUrl: repo.url, path: 'tpl' })).rejects.toThrow(
      /symlink "secret" that points outside the template directory/,
    );
  });

  it('refuses a symlink with an absolute target', async () => {
    const repo = makeRepo({ 'tpl/passwd': { symlink: '/etc/passwd' } });
    await expect(run({ repoUrl: repo.url, path: 'tpl' })).rejects.toThrow(
      /absolute target "\/etc\/passwd"/,
    );
  });

  it('refuses a chain of symlinks that ends outside, and a loop', async () => {
    const chain = makeRepo({
      'tpl/a': { symlink: 'b' },
      'tpl/b': { symlink: 'sub/c' },
      'tpl/sub/c': { symlink: '../../outside.txt' },
      'outside.txt': 'x',
    });
    await expect(run({ repoUrl: chain.url, path: 'tpl' })).rejects.toThrow(
      /symlink "a" that leads through 2 other link\(s\) to outside/,
    );
    const loop = makeRepo({
      'tpl/a': { symlink: 'b' },
      'tpl/b': { symlink: 'a' },
    });
    await expect(run({ repoUrl: loop.url, path: 'tpl' })).rejects.toThrow(
      /longer than 16 \(or a loop\)/,
    );
  });

  it('refuses a huge file, too many files and a too large tree', async () => {
    const repo = makeRepo({
      'tpl/huge.bin': Buffer.alloc(3 * 1024 * 1024, 1),
      'tpl/a.txt': 'a',
      'tpl/b.txt': 'b',
    });
    await expect(
      run({ repoUrl: repo.url, path: 'tpl', maxFileBytes: 1024 * 1024 }),
    ).rejects.toThrow(
      /"huge.bin" is 3.0 MiB, more than the limit of 1.0 MiB per file/,
    );
    await expect(
      run({ repoUrl: repo.url, path: 'tpl', maxFiles: 2 }),
    ).rejects.toThrow(/has 3 files, more than the limit of 2/);
    await expect(
      run({ repoUrl: repo.url, path: 'tpl', maxTotalBytes: 2 * 1024 * 1024 }),
    ).rejects.toThrow(/larger than the limit of 2.0 MiB in total/);
  });
});
