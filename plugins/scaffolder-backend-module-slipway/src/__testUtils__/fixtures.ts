import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { ActionContext } from '@backstage/plugin-scaffolder-node';
import { JsonObject } from '@backstage/types';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** The repository root (this file is plugins/<pkg>/src/__testUtils__/). */
// Test helpers only ever run from the source tree, never from a build.
// eslint-disable-next-line no-restricted-syntax
export const REPO_ROOT = path.resolve(__dirname, '../../../..');

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
};

/** A fresh temporary directory, removed by {@link removeTempDirs}. */
const created: string[] = [];
export function tempDir(prefix = 'slipway-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  created.push(dir);
  return dir;
}
export function removeTempDirs() {
  for (const dir of created.splice(0)) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Builds the example template repository with its own prepare script. */
export function prepareExampleTemplateRepo(): { dir: string; url: string } {
  const dir = path.join(tempDir('slipway-template-repo-'), 'template-repo.git');
  execFileSync(
    path.join(REPO_ROOT, 'examples/template-repo/prepare-demo-repo.sh'),
    [dir],
    { env: GIT_ENV, stdio: 'pipe' },
  );
  return { dir, url: pathToFileURL(dir).toString() };
}

/**
 * A bare repository with one commit made from `files` (path → content, or
 * `{ symlink: target }`). Returns its file:// URL and the commit sha.
 */
export function makeRepo(
  files: Record<string, string | Buffer | { symlink: string }>,
): { dir: string; url: string; sha: string } {
  const root = tempDir('slipway-repo-');
  const work = path.join(root, 'work');
  const bare = path.join(root, 'repo.git');
  fs.mkdirSync(work);
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(work, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (typeof content === 'object' && 'symlink' in content) {
      fs.symlinkSync(content.symlink, file);
    } else {
      fs.writeFileSync(file, content);
    }
  }
  const run = (args: string[], cwd = work) =>
    execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8' }).trim();
  run(['init', '-q', '-b', 'main']);
  run(['add', '-A']);
  run(['commit', '-q', '-m', 'fixture']);
  run(['init', '-q', '--bare', '-b', 'main', bare], root);
  run(['config', 'uploadpack.allowFilter', 'true'], bare);
  run(['config', 'uploadpack.allowAnySHA1InWant', 'true'], bare);
  run(['push', '-q', bare, 'main']);
  return {
    dir: bare,
    url: pathToFileURL(bare).toString(),
    sha: run(['rev-parse', 'HEAD']),
  };
}

/** A mock action context with a real temporary directory factory. */
export function mockContext<TInput extends JsonObject>(
  input: TInput,
  extra: { isDryRun?: boolean; workspacePath?: string } = {},
): ActionContext<TInput, any> & { tempDirs: string[] } {
  const tempDirs: string[] = [];
  const ctx = createMockActionContext<TInput>({
    input,
    workspacePath: extra.workspacePath ?? tempDir('slipway-workspace-'),
  });
  return Object.assign(ctx, {
    isDryRun: extra.isDryRun,
    tempDirs,
    createTemporaryDirectory: async () => {
      const dir = tempDir('slipway-action-tmp-');
      tempDirs.push(dir);
      return dir;
    },
  });
}

/** Writes `files` (path → content) below `dir`, making directories. */
export function writeFiles(dir: string, files: Record<string, string>) {
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
}

/** All outputs set through ctx.output, as an object. */
export function outputsOf(ctx: { output: unknown }): Record<string, unknown> {
  const mock = ctx.output as jest.Mock;
  return Object.fromEntries(mock.mock.calls.map(([k, v]) => [k, v]));
}

export function git(args: string[], cwd?: string): string {
  return execFileSync('git', args, {
    cwd,
    env: GIT_ENV,
    encoding: 'utf8',
  }).trim();
}
