import { ConfigReader } from '@backstage/config';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import path from 'node:path';
import yaml from 'yaml';
import {
  git,
  makeRepo,
  mockContext,
  outputsOf,
  prepareExampleTemplateRepo,
  removeTempDirs,
} from '../__testUtils__/fixtures';
import { createTemplateExtractAction } from './templateExtract';
import { examples } from './templateExtract.examples';

// git processes are slow when the machine is busy (2 shared cores).
jest.setTimeout(60_000);

const config = new ConfigReader({
  slipway: { allowedRepositories: ['file://', 'https://github.com/'] },
});
const action = createTemplateExtractAction({ config });

/** Blobs present in a clone's object store (local, not lazily fetched). */
function localBlobCount(cloneDir: string): number {
  const out = git(
    ['cat-file', '--batch-all-objects', '--batch-check=%(objecttype)'],
    cloneDir,
  );
  return out.split('\n').filter(line => line === 'blob').length;
}

describe('slipway:template:extract', () => {
  let example: { dir: string; url: string };
  beforeAll(() => {
    example = prepareExampleTemplateRepo();
  });
  afterAll(removeTempDirs);

  it('runs every documented example', async () => {
    for (const { example: text } of examples) {
      const step = yaml.parse(text).steps[0];
      const input = { ...step.input, repoUrl: example.url };
      const ctx = mockContext(input);
      await action.handler(ctx as any);
      const outputs = outputsOf(ctx);
      expect(outputs.commitSha).toBe(git(['rev-parse', 'main'], example.dir));
      expect(outputs.fileCount).toBeGreaterThan(3);
      const target = path.join(ctx.workspacePath, input.targetPath ?? '.');
      expect(fs.existsSync(path.join(target, 'Dockerfile'))).toBe(true);
    }
  });

  it('fetches only the subdirectory: no blob of another template is downloaded', async () => {
    const ctx = mockContext({
      repoUrl: example.url,
      path: 'node-service',
      values: {
        name: 'orders',
        repoSlug: 'acme/orders',
        owner: 'group:default/a',
      },
    });
    await action.handler(ctx as any);
    const files = git(
      ['ls-tree', '-r', '--name-only', 'main', 'node-service/'],
      example.dir,
    ).split('\n');
    const allBlobs = git(
      ['ls-tree', '-r', '--name-only', 'main'],
      example.dir,
    ).split('\n');
    expect(allBlobs.length).toBeGreaterThan(files.length + 5);
    // One clone directory was used; it holds exactly the template's blobs
    // (identical files share a blob, hence <=).
    const clone = ctx.tempDirs[0];
    const blobs = localBlobCount(clone);
    expect(blobs).toBeGreaterThan(0);
    expect(blobs).toBeLessThanOrEqual(files.length);
    expect(fs.existsSync(path.join(clone, 'busybox-site'))).toBe(false);
    // Shallow: exactly one commit object.
    expect(git(['rev-list', '--count', 'HEAD'], clone)).toBe('1');
  });

  it('renders contents and names, copies binaries and copyWithoutTemplating globs as they are, writes provenance', async () => {
    const ctx = mockContext({
      repoUrl: example.url,
      ref: 'v1',
      path: './busybox-site/',
      targetPath: 'out',
      values: {
        name: 'hello-site',
        repoSlug: 'acme/hello-site',
        owner: 'group:default/web',
        port: 8081,
      },
      provenanceFile: '.slipway/template.json',
    });
    await action.handler(ctx as any);
    const out = path.join(ctx.workspacePath, 'out');
    expect(fs.readFileSync(path.join(out, 'www/index.html'), 'utf8')).toContain(
      '<h1>hello-site</h1>',
    );
    expect(fs.readFileSync(path.join(out, 'Dockerfile'), 'utf8')).toContain(
      '"-p", "8081"',
    );
    expect(
      fs.readFileSync(path.join(out, 'catalog-info.yaml'), 'utf8'),
    ).toContain('github.com/project-slug: acme/hello-site');
    const busybox = fs.readFileSync(path.join(out, 'busybox'));
    expect(busybox.equals(fs.readFileSync('/bin/busybox'))).toBe(true);
    expect(fs.statSync(path.join(out, 'busybox')).mode & 0o111).not.toBe(0);
    const provenance = JSON.parse(
      fs.readFileSync(path.join(out, '.slipway/template.json'), 'utf8'),
    );
    expect(provenance).toEqual({
      templateUrl: example.url,
      path: 'busybox-site',
      ref: 'v1',
      commitSha: git(['rev-parse', 'v1^{commit}'], example.dir),
      values: expect.objectContaining({ name: 'hello-site' }),
    });

    const node = mockContext({
      repoUrl: example.url,
      path: 'node-service',
      values: { name: 'orders' },
      copyWithoutTemplating: ['public/**'],
    });
    await action.handler(node as any);
    expect(
      fs.readFileSync(
        path.join(node.workspacePath, 'public/index.html'),
        'utf8',
      ),
    ).toContain('${{ this }}');
    expect(
      JSON.parse(
        fs.readFileSync(path.join(node.workspacePath, 'package.json'), 'utf8'),
      ).name,
    ).toBe('orders');
  });

  it('renders file names, skips names that render empty, and accepts a commit sha as ref', async () => {
    const repo = makeRepo({
      'tpl/${{ values.name }}.txt': 'hi ${{ values.name | upper }}',
      'tpl/${{ values.extra }}keep.md': 'kept',
      'tpl/${{ values.skip }}': 'never',
      'tpl/nested/link-to-name': { symlink: '../${{ values.name }}.txt' },
      'other/big.bin': 'x'.repeat(1000),
    });
    const ctx = mockContext({
      repoUrl: repo.url,
      ref: repo.sha,
      path: 'tpl',
      values: { name: 'svc', skip: '' },
    });
    await action.handler(ctx as any);
    const ws = ctx.workspacePath;
    expect(fs.readFileSync(path.join(ws, 'svc.txt'), 'utf8')).toBe('hi SVC');
    expect(fs.existsSync(path.join(ws, 'keep.md'))).toBe(true);
    expect(fs.readlinkSync(path.join(ws, 'nested/link-to-name'))).toBe(
      '../${{ values.name }}.txt',
    );
    expect(outputsOf(ctx)).toEqual({
      commitSha: repo.sha,
      fileCount: 3,
      targetPath: './',
    });
  });

  it('a recovered task extracts the commit its checkpoint recorded, even after the branch moved', async () => {
    const repo = makeRepo({ 'tpl/v.txt': 'first' });
    const store = new Map<string, unknown>();
    const withStore = (ctx: any) =>
      Object.assign(ctx, {
        checkpoint: async ({
          key,
          fn,
        }: {
          key: string;
          fn: () => Promise<unknown>;
        }) => {
          if (!store.has(key)) store.set(key, await fn());
          return store.get(key);
        },
      });
    const first = withStore(mockContext({ repoUrl: repo.url, path: 'tpl' }));
    await action.handler(first);
    // The branch moves on.
    const work = path.join(path.dirname(repo.dir), 'second');
    git(['clone', '-q', repo.dir, work]);
    fs.writeFileSync(path.join(work, 'tpl/v.txt'), 'second');
    git(
      [
        '-c',
        'user.name=t',
        '-c',
        'user.email=t@e',
        'commit',
        '-q',
        '-am',
        'second',
      ],
      work,
    );
    git(['push', '-q', 'origin', 'main'], work);
    // Same task re-run (recovered): same commit, same content.
    const recovered = withStore(
      mockContext({ repoUrl: repo.url, path: 'tpl' }),
    );
    await action.handler(recovered);
    expect(outputsOf(recovered).commitSha).toBe(repo.sha);
    expect(
      fs.readFileSync(path.join(recovered.workspacePath, 'v.txt'), 'utf8'),
    ).toBe('first');
    // A new task sees the new commit.
    const fresh = mockContext({ repoUrl: repo.url, path: 'tpl' });
    await action.handler(fresh as any);
    expect(
      fs.readFileSync(path.join(fresh.workspacePath, 'v.txt'), 'utf8'),
    ).toBe('second');
  });

  it('renders the Node.js and Python templates into services whose own tests pass', async () => {
    const run = promisify(execFile);
    const node = mockContext({
      repoUrl: example.url,
      path: 'node-service',
      values: { name: 'orders', port: 3000 },
    });
    await action.handler(node as any);
    const nodeTests = await run(process.execPath, ['--test'], {
      cwd: node.workspacePath,
      timeout: 60_000,
    });
    expect(nodeTests.stdout).toMatch(/pass 1/);
    const python = mockContext({
      repoUrl: example.url,
      path: 'python-service',
      values: { name: 'billing', port: 8000 },
    });
    await action.handler(python as any);
    const pyTests = await run(
      'python3',
      ['-m', 'unittest', 'discover', '-s', 'tests', '-t', '.'],
      {
        cwd: python.workspacePath,
        timeout: 60_000,
      },
    );
    expect(pyTests.stderr).toMatch(/Ran 1 test[\s\S]*OK/);
  });

  describe('errors', () => {
    it('refuses repositories outside slipway.allowedRepositories, naming the setting', async () => {
      const strict = createTemplateExtractAction({
        config: new ConfigReader({
          slipway: { allowedRepositories: ['https://github.com/acme/'] },
        }),
      });
      await expect(
        strict.handler(
          mockContext({ repoUrl: example.url, path: 'node-service' }) as any,
        ),
      ).rejects.toThrow(/slipway\.allowedRepositories/);
    });

    it('says when the ref or the path does not exist', async () => {
      await expect(
        action.handler(
          mockContext({
            repoUrl: example.url,
            ref: 'no-such-branch',
            path: 'node-service',
          }) as any,
        ),
      ).rejects.toThrow(/The ref "no-such-branch" does not exist/);
      await expect(
        action.handler(
          mockContext({ repoUrl: example.url, path: 'java-service' }) as any,
        ),
      ).rejects.toThrow(/The path "java-service" does not exist/);
      await expect(
        action.handler(
          mockContext({
            repoUrl: example.url,
            ref: '--upload-pack=x',
            path: 'node-service',
          }) as any,
        ),
      ).rejects.toThrow(/starts with "-"/);
    });

    it('names the file and expression when rendering fails', async () => {
      const repo = makeRepo({
        'tpl/bad.txt': 'x ${{ values.name | nosuchfilter }}',
      });
      await expect(
        action.handler(
          mockContext({
            repoUrl: repo.url,
            path: 'tpl',
            values: { name: 'a' },
          }) as any,
        ),
      ).rejects.toThrow(/Could not render the file "bad.txt"/);
    });
  });

  it('extracts in a dry run too (the dry-run workspace is temporary)', async () => {
    const ctx = mockContext(
      { repoUrl: example.url, path: 'python-service', values: { name: 'py' } },
      { isDryRun: true },
    );
    await action.handler(ctx as any);
    expect(
      fs.readFileSync(path.join(ctx.workspacePath, 'app/main.py'), 'utf8'),
    ).toContain('SERVICE = "py"');
  });
});
