import { InputError } from '@backstage/errors';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ExtractLimits } from './limits';
import { checkSymlink } from './pathSafety';

/** One entry of a template directory, as found in the checkout. */
export interface TemplateEntry {
  /** Path below the template directory, "/"-separated, not rendered. */
  relative: string;
  kind: 'file' | 'dir' | 'symlink';
  mode: number;
  size: number;
  /** The link's target text, for a symlink. */
  linkTarget?: string;
}

/**
 * Lists the template directory (sorted, directories before their
 * contents), checking the limits and every symlink (see checkSymlink) as
 * it goes. Only real directories are descended into, the root included.
 */
export async function collectTemplateEntries(
  root: string,
  limits: ExtractLimits,
): Promise<TemplateEntry[]> {
  // git lists and checks out a subdirectory only when it is a tree, never
  // through a link; this states that assumption where it matters.
  if (!(await fs.lstat(root)).isDirectory()) {
    throw new InputError(
      'The template path is a symlink in the repository, not a directory; point path at the real directory.',
    );
  }
  return collect(root, limits);
}

async function collect(
  root: string,
  limits: ExtractLimits,
): Promise<TemplateEntry[]> {
  const entries: TemplateEntry[] = [];
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

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}
