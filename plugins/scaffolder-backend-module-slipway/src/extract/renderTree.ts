import { InputError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import { createTemplateRenderer } from 'nunjitsu';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ExtractLimits } from './limits';
import { checkSymlink, safeOutputPath } from './pathSafety';

/** Options of {@link renderTemplateTree}. */
export interface RenderTreeOptions {
  sourceDir: string;
  targetDir: string;
  values: JsonObject;
  /** Globs (relative to the template directory) copied without rendering. */
  copyWithoutTemplating?: string[];
  limits: ExtractLimits;
  log?: (message: string) => void;
}

interface Entry {
  relative: string;
  kind: 'file' | 'dir' | 'symlink';
  mode: number;
  size: number;
  linkTarget?: string;
}

/**
 * Renders a template directory into the target directory with the same
 * `${{ values.x }}` syntax (and the same renderer, nunjitsu) as the
 * scaffolder's built-in `fetch:template`: file contents and file names are
 * rendered; binary files and files matching `copyWithoutTemplating` are
 * copied as they are; a file or directory whose rendered name is empty is
 * skipped. Everything is checked (sizes, symlinks) before anything is
 * written. Returns the number of files and links written.
 */
export async function renderTemplateTree(
  options: RenderTreeOptions,
): Promise<{ fileCount: number }> {
  const { sourceDir, targetDir, values, limits, log } = options;
  const copyRaw = options.copyWithoutTemplating ?? [];
  const entries = await collect(sourceDir, limits);

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

  await fs.mkdir(targetDir, { recursive: true });
  let fileCount = 0;
  for (const entry of entries) {
    const renderedName = render(
      entry.relative,
      `the file name "${entry.relative}"`,
    );
    if (
      renderedName === '' ||
      renderedName.split('/').some(segment => segment === '')
    ) {
      log?.(`Skipping ${entry.relative}: its name renders empty`);
      continue;
    }
    const outputPath = safeOutputPath(targetDir, renderedName);
    const sourcePath = path.join(sourceDir, ...entry.relative.split('/'));
    if (entry.kind === 'dir') {
      await fs.mkdir(outputPath, { recursive: true });
      continue;
    }
    await fs.mkdir(path.dirname(outputPath), { recursive: true });
    await fs.rm(outputPath, { force: true, recursive: true });
    if (entry.kind === 'symlink') {
      await fs.symlink(entry.linkTarget!, outputPath);
    } else {
      const content = await fs.readFile(sourcePath);
      const raw =
        isBinary(content) ||
        copyRaw.some(glob => matchesWithAncestors(entry.relative, glob));
      await fs.writeFile(
        outputPath,
        raw
          ? content
          : render(content.toString('utf8'), `the file "${entry.relative}"`),
        { mode: entry.mode },
      );
      await fs.chmod(outputPath, entry.mode);
    }
    fileCount++;
  }
  return { fileCount };
}

async function collect(root: string, limits: ExtractLimits): Promise<Entry[]> {
  const entries: Entry[] = [];
  let total = 0;
  const walk = async (dir: string): Promise<void> => {
    const names = (await fs.readdir(dir)).sort();
    for (const name of names) {
      const absolute = path.join(dir, name);
      const relative = path.relative(root, absolute).split(path.sep).join('/');
      const stat = await fs.lstat(absolute);
      if (stat.isSymbolicLink()) {
        const linkTarget = await checkSymlink(root, absolute);
        entries.push({
          relative,
          kind: 'symlink',
          mode: 0o777,
          size: 0,
          linkTarget,
        });
      } else if (stat.isDirectory()) {
        entries.push({
          relative,
          kind: 'dir',
          mode: stat.mode & 0o777,
          size: 0,
        });
        await walk(absolute);
      } else if (stat.isFile()) {
        if (stat.size > limits.maxFileBytes) {
          throw new InputError(
            `The template file "${relative}" is ${formatBytes(
              stat.size,
            )}, more than the limit of ${formatBytes(
              limits.maxFileBytes,
            )} per file. Remove it from the template or raise maxFileBytes.`,
          );
        }
        total += stat.size;
        if (total > limits.maxTotalBytes) {
          throw new InputError(
            `The template is larger than the limit of ${formatBytes(
              limits.maxTotalBytes,
            )} in total. Point path at a smaller subdirectory or raise maxTotalBytes.`,
          );
        }
        entries.push({
          relative,
          kind: 'file',
          mode: stat.mode & 0o777,
          size: stat.size,
        });
      }
      if (entries.length > limits.maxFiles) {
        throw new InputError(
          `The template has more than ${limits.maxFiles} files. Point path at a smaller subdirectory or raise maxFiles.`,
        );
      }
    }
  };
  await walk(root);
  return entries;
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

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}
