import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { runGit, validateGitRef } from './git';

describe('validateGitRef', () => {
  it.each(['main', 'feature/x-1', 'v1.2.3', 'a1b2c3d', 'release-2026.11'])(
    'accepts %p',
    ref => expect(validateGitRef(ref)).toBe(ref),
  );

  it.each([
    ['-upload-pack=evil', /starts with "-"/],
    ['', /empty/],
    ['a..b', /"\.\."/],
    ['has space', /space/],
    ['x:y', /space, control/],
    ['refs/heads/.hidden', /starts with "\."/],
    ['branch.lock', /\.lock/],
    ['trailing/', /ends with "\/"/],
  ])('refuses %p', (ref, reason) => {
    expect(() => validateGitRef(ref)).toThrow(reason);
  });
});

describe('runGit', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-git-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('runs git with argument arrays and returns stdout', async () => {
    await runGit({ args: ['init', '-q', '-b', 'main', dir] });
    const out = await runGit({
      args: ['symbolic-ref', '--short', 'HEAD'],
      cwd: dir,
    });
    expect(out.trim()).toBe('main');
  });

  it('fails with git’s own message', async () => {
    await expect(
      runGit({ args: ['rev-parse', 'does-not-exist'], cwd: dir }),
    ).rejects.toThrow(/git rev-parse failed \(exit 128\)/);
  });

  it('sends the token as a header, never in the URL or argv, and keeps it out of errors', async () => {
    const token = 'ghp_testtoken_1234567890';
    const seen: { url?: string; authorization?: string } = {};
    // A local HTTP server that refuses, so git reports an error after it
    // has sent its request.
    const server = http.createServer((req, res) => {
      seen.url = req.url;
      seen.authorization = req.headers.authorization;
      res.statusCode = 403;
      res.end(`denied ${token}`);
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      const error = await runGit({
        args: ['ls-remote', `http://127.0.0.1:${port}/acme/repo.git`],
        token,
      }).catch(e => e as Error);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).not.toContain(token);
      expect(seen.url).not.toContain(token);
      expect(seen.authorization).toBe(
        `Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`,
      );
    } finally {
      server.close();
    }
    // git itself is on PATH for this test.
    expect(execFileSync('git', ['--version']).toString()).toMatch(/git/);
  });
});
