import { ConfigReader } from '@backstage/config';
import fs from 'node:fs';
import path from 'node:path';
import {
  makeRepo,
  mockContext,
  outputsOf,
  removeTempDirs,
  tempDir,
} from '../__testUtils__/fixtures';
import { createTemplateExtractAction } from './templateExtract';

// git processes are slow when the machine is busy (2 shared cores).
jest.setTimeout(60_000);

const action = createTemplateExtractAction({
  config: new ConfigReader({ slipway: { allowedRepositories: ['file://'] } }),
});

/**
 * A workspace with a sentinel directory next to it: everything a hostile
 * template aims at lies in the sentinel (a link to "../sentinel" from the
 * workspace root reaches it), so "nothing outside the workspace changed"
 * is: the box still holds exactly the workspace and the sentinel, and the
 * sentinel still holds exactly keep.txt with its original content.
 */
function sandbox() {
  const box = tempDir('slipway-box-');
  const workspace = path.join(box, 'workspace');
  const sentinel = path.join(box, 'sentinel');
  fs.mkdirSync(workspace);
  fs.mkdirSync(sentinel);
  fs.writeFileSync(path.join(sentinel, 'keep.txt'), 'original');
  return {
    workspace,
    sentinel,
    expectNothingOutside() {
      expect(fs.readdirSync(box).sort()).toEqual(['sentinel', 'workspace']);
      expect(fs.readdirSync(sentinel)).toEqual(['keep.txt']);
      expect(fs.readFileSync(path.join(sentinel, 'keep.txt'), 'utf8')).toBe(
        'original',
      );
    },
  };
}

type Files = Parameters<typeof makeRepo>[0];

describe('slipway:template:extract against hostile templates', () => {
  afterAll(removeTempDirs);

  const run = (
    box: ReturnType<typeof sandbox>,
    files: Files,
    input: Record<string, unknown> = {},
  ) => {
    const repo = makeRepo(files);
    const ctx = mockContext(
      { repoUrl: repo.url, path: 'tpl', ...input },
      { workspacePath: box.workspace },
    );
    return { ctx, done: action.handler(ctx as any) };
  };
  const expectRefusal = async (
    box: ReturnType<typeof sandbox>,
    files: Files,
    input: Record<string, unknown>,
    message: RegExp,
  ) => {
    await expect(run(box, files, input).done).rejects.toMatchObject({
      name: 'InputError',
      message: expect.stringMatching(message),
    });
    box.expectNothingOutside();
  };

  it('refuses a templated directory that renders to the name of a link made earlier (link "d" to ".", then "d/a" to "../sentinel", then "d/a/pwned.txt")', async () => {
    const box = sandbox();
    await expectRefusal(
      box,
      {
        // Made in this order (sorted): a, b, b/a, c, c/pwned.txt.
        'tpl/${{ values.a }}': { symlink: '.' },
        'tpl/${{ values.b }}/a': { symlink: '../sentinel' },
        'tpl/${{ values.c }}/pwned.txt': 'pwned',
      },
      { values: { a: 'd', b: 'd', c: 'd/a' } },
      /The template entries "\$\{\{ values\.a \}\}" and "\$\{\{ values\.b \}\}" both render to "d"/,
    );
    // Refused before anything was written.
    expect(fs.readdirSync(box.workspace)).toEqual([]);
  });

  it('refuses a link that climbs after a name ("up" to "sub/..", with "sub" a link to "."), which the kernel resolves next to the workspace', async () => {
    const box = sandbox();
    await expectRefusal(
      box,
      {
        'tpl/${{ values.a }}': { symlink: '.' },
        'tpl/${{ values.b }}': { symlink: 'sub/..' },
        'tpl/${{ values.c }}/pwned.txt': 'pwned',
      },
      { values: { a: 'sub', b: 'up', c: 'up/sentinel' } },
      /symlink "up" whose target "sub\/\.\." climbs \(".."\) after a name/,
    );
  });

  it('refuses a link to ".." whose name renders one level up (a value "../up"), and the file name that would follow it', async () => {
    const box = sandbox();
    // "!" sorts before "$": the link would be made before the file.
    await expectRefusal(
      box,
      {
        'tpl/!/${{ values.name }}': { symlink: '..' },
        'tpl/${{ values.file }}/pwned.txt': 'pwned',
      },
      { values: { name: '../up', file: 'up/sentinel' } },
      /The rendered file name "!\/\.\.\/up" \(from "!\/\$\{\{ values\.name \}\}"\) would be written outside the target directory: it contains "\.\."/,
    );
  });

  it('refuses to write below a link the template itself makes, even one that stays inside', async () => {
    const box = sandbox();
    await expectRefusal(
      box,
      {
        'tpl/lib': { symlink: 'shared' },
        'tpl/shared/a.txt': 'a',
        'tpl/${{ values.file }}': 'b',
      },
      { values: { file: 'lib/b.txt' } },
      /renders to "lib\/b\.txt", below "lib", which the template makes a symlink \("lib"\)/,
    );
  });

  it('never writes or deletes through a link an earlier step left in the workspace', async () => {
    const box = sandbox();
    fs.mkdirSync(path.join(box.workspace, 'out'));
    fs.symlinkSync('../../sentinel', path.join(box.workspace, 'out/esc'));
    await expectRefusal(
      box,
      { 'tpl/${{ values.dir }}/keep.txt': 'overwritten' },
      { values: { dir: 'esc' }, targetPath: 'out' },
      /Refusing to write "esc": "esc" in the target directory is a link to a place outside it/,
    );
    await expectRefusal(
      box,
      { 'tpl/esc/keep.txt': 'overwritten' },
      { targetPath: 'out' },
      /Refusing to write "esc": "esc" in the target directory is a link to a place outside it/,
    );
  });

  it('refuses a targetPath that leads out of the workspace through a link, also below it', async () => {
    const box = sandbox();
    fs.symlinkSync('../sentinel', path.join(box.workspace, 'out'));
    for (const targetPath of ['out', 'out/new', './out/']) {
      await expectRefusal(
        box,
        { 'tpl/keep.txt': 'overwritten' },
        { targetPath },
        /The targetPath "out(\/new)?" leads outside the workspace: "out" is a link to a place outside it/,
      );
    }
    await expectRefusal(
      box,
      { 'tpl/a.txt': 'a' },
      { targetPath: 'in/../../sentinel' },
      /Invalid targetPath "in\/\.\.\/\.\.\/sentinel": it contains "\.\."/,
    );
    await expectRefusal(
      box,
      { 'tpl/a.txt': 'a' },
      { provenanceFile: '../sentinel/provenance.json' },
      /Invalid provenanceFile "\.\.\/sentinel\/provenance\.json": it contains "\.\."/,
    );
  });

  it('replaces a link at a file’s own path instead of writing through it', async () => {
    const box = sandbox();
    fs.symlinkSync(
      '../sentinel/keep.txt',
      path.join(box.workspace, 'config.json'),
    );
    const { ctx, done } = run(box, { 'tpl/config.json': '{"ok":true}' });
    await done;
    const written = path.join(box.workspace, 'config.json');
    expect(fs.lstatSync(written).isFile()).toBe(true);
    expect(fs.readFileSync(written, 'utf8')).toBe('{"ok":true}');
    expect(outputsOf(ctx).fileCount).toBe(1);
    box.expectNothingOutside();
  });

  it('refuses Windows separators in rendered names and link targets', async () => {
    const box = sandbox();
    await expectRefusal(
      box,
      { 'tpl/${{ values.name }}': 'pwned' },
      { values: { name: '..\\sentinel\\pwned.txt' } },
      /contains a backslash, a path separator on Windows/,
    );
    await expectRefusal(
      box,
      { 'tpl/l': { symlink: '..\\sentinel' } },
      {},
      /symlink "l" whose target "\.\.\\sentinel" contains a backslash/,
    );
    await expectRefusal(
      box,
      { 'tpl/${{ values.name }}': 'pwned' },
      { values: { name: 'C:/sentinel/pwned.txt' } },
      /starts with a drive letter/,
    );
  });

  it('refuses names that render to ".", ".." or ".git", and skips absolute ones without writing them', async () => {
    const box = sandbox();
    await expectRefusal(
      box,
      { 'tpl/${{ values.name }}/x.txt': 'x' },
      { values: { name: '.' } },
      /The rendered file name "\." \(from "\$\{\{ values\.name \}\}"\) contains a "\." segment/,
    );
    await expectRefusal(
      box,
      { 'tpl/${{ values.name }}/x.txt': 'x' },
      { values: { name: '..' } },
      /would be written outside the target directory: it contains "\.\."/,
    );
    await expectRefusal(
      box,
      { 'tpl/${{ values.name }}/hooks/post-checkout': '#!/bin/sh' },
      { values: { name: '.git' } },
      /names a "\.git" directory \(a template may not write git metadata\)/,
    );
    const absolute = path.join(box.sentinel, 'pwned.txt');
    const { ctx, done } = run(
      box,
      { 'tpl/${{ values.name }}': 'pwned', 'tpl/kept.txt': 'kept' },
      { values: { name: absolute } },
    );
    await done;
    expect(outputsOf(ctx).fileCount).toBe(1);
    expect(fs.readdirSync(box.workspace)).toEqual(['kept.txt']);
    box.expectNothingOutside();
  });
});
