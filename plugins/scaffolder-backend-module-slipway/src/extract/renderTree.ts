import { InputError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import { createTemplateRenderer } from 'nunjitsu';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ExtractLimits } from './limits';
import { OutputTree } from './outputTree';
import { planOutput } from './renderPlan';
import { collectTemplateEntries } from './templateEntries';

/** Options of {@link renderTemplateTree}. */
export interface RenderTreeOptions {
  sourceDir: string;
  /** Where to write; every write goes through its checks. */
  output: OutputTree;
  values: JsonObject;
  /** Globs (relative to the template directory) copied without rendering. */
  copyWithoutTemplating?: string[];
  limits: ExtractLimits;
  log?: (message: string) => void;
}

/**
 * Renders a template directory into the output tree with the same
 * `${{ values.x }}` syntax (and the same renderer, nunjitsu) as the
 * scaffolder's built-in `fetch:template`: file contents and file names are
 * rendered; binary files and files matching `copyWithoutTemplating` are
 * copied as they are; a file or directory whose rendered name is empty is
 * skipped. Everything is checked (sizes, symlinks in the template, the
 * rendered names and links: see renderPlan.ts) before anything is written,
 * and each write is checked again against the real file system by the
 * output tree. Returns the number of files and links written.
 */
export async function renderTemplateTree(
  options: RenderTreeOptions,
): Promise<{ fileCount: number }> {
  const { sourceDir, output, values, limits, log } = options;
  const copyRaw = options.copyWithoutTemplating ?? [];
  const entries = await collectTemplateEntries(sourceDir, limits);

  const renderer = createTemplateRenderer({ allowRegexExecution: false });
  const context = renderer.prepareContext({ values: values as any });
  const render = (text: string, where: string) => {
    try {
      return renderer.render(text, context);
    } catch (error) {
      throw new InputError(
        `Could not render ${where} of the template: ${
          (error as Error).message
        }. Check the \${{ }} expressions there and the values passed to the action.`,
      );
    }
  };
  const plan = planOutput(
    entries,
    entry => render(entry.relative, `the file name "${entry.relative}"`),
    log,
  );

  let fileCount = 0;
  for (const { entry, segments, link } of plan) {
    if (entry.kind === 'dir') {
      await output.mkdir(segments);
      continue;
    }
    if (entry.kind === 'symlink') {
      await output.symlink(segments, entry.linkTarget!, link!);
    } else {
      const content = await fs.readFile(
        path.join(sourceDir, ...entry.relative.split('/')),
      );
      const raw =
        isBinary(content) ||
        copyRaw.some(glob => matchesWithAncestors(entry.relative, glob));
      await output.writeFile(
        segments,
        raw
          ? content
          : render(content.toString('utf8'), `the file "${entry.relative}"`),
        entry.mode,
      );
    }
    fileCount++;
  }
  return { fileCount };
}

/** A file with a NUL byte in its first 8000 bytes is binary (git's rule). */
function isBinary(content: Buffer): boolean {
  return content.subarray(0, 8000).includes(0);
}

function matchesWithAncestors(relative: string, glob: string): boolean {
  const segments = relative.split('/');
  for (let i = segments.length; i > 0; i--) {
    if (path.posix.matchesGlob(segments.slice(0, i).join('/'), glob)) {
      return true;
    }
  }
  return false;
}
