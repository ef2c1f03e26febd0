import { InputError } from '@backstage/errors';
import fs from 'node:fs/promises';
import path from 'node:path';

const SAFE_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/**
 * Validates the template subdirectory given by a user: relative, no `..`,
 * no absolute path, only letters, digits, `.`, `_` and `-` per segment (so
 * it can be used as a sparse-checkout pattern without escaping). Returns it
 * without leading `./` or trailing `/`.
 */
export function normalizeTemplatePath(raw: string): string {
  const trimmed = raw
    .trim()
    .replace(/^\.\/+/, '')
    .replace(/\/+$/, '');
  const problem = (() => {
    if (!trimmed) return 'it is empty';
    if (
      trimmed.startsWith('/') ||
      /^[A-Za-z]:/.test(trimmed) ||
      trimmed.includes('\\')
    )
      return 'it is absolute or uses backslashes';
    const segments = trimmed.split('/');
    if (segments.some(s => s === '..')) return 'it contains ".."';
    if (segments.some(s => !SAFE_SEGMENT.test(s)))
      return 'a segment is empty, starts with "." or "-", or contains characters other than letters, digits, ".", "_" and "-"';
    return undefined;
  })();
  if (problem) {
    throw new InputError(
      `Invalid template path "${raw.slice(
        0,
        200,
      )}": ${problem}. Use a relative path of a subdirectory, e.g. "templates/node-service".`,
    );
  }
  return trimmed;
}

/**
 * Checks a symlink inside the template: its target, and every link it
 * leads through (a chain), must stay inside `root`. Absolute targets are
 * refused outright: they would point at the machine that renders the
 * template. Returns the link's target text to recreate it.
 */
export async function checkSymlink(
  root: string,
  linkPath: string,
  maxHops = 16,
): Promise<string> {
  const display = path.relative(root, linkPath).split(path.sep).join('/');
  const target = await fs.readlink(linkPath);
  if (path.isAbsolute(target)) {
    throw new InputError(
      `The template contains a symlink "${display}" with the absolute target "${target}". Make it a relative link inside the template directory.`,
    );
  }
  let current = linkPath;
  let text = target;
  for (let hop = 0; hop < maxHops; hop++) {
    const resolved = path.resolve(path.dirname(current), text);
    if (!isInside(root, resolved)) {
      throw new InputError(
        `The template contains a symlink "${display}" that ${
          hop === 0 ? 'points' : `leads through ${hop} other link(s) to`
        } outside the template directory ("${path
          .relative(root, resolved)
          .split(path.sep)
          .join('/')}"). Only links to files inside the template are allowed.`,
      );
    }
    let stat;
    try {
      stat = await fs.lstat(resolved);
    } catch {
      // A dangling link inside the template is harmless: copied as is.
      return target;
    }
    if (!stat.isSymbolicLink()) {
      return target;
    }
    current = resolved;
    text = await fs.readlink(resolved);
    if (path.isAbsolute(text)) {
      throw new InputError(
        `The template contains a symlink "${display}" that leads to a link with the absolute target "${text}". Make every link relative and inside the template directory.`,
      );
    }
  }
  throw new InputError(
    `The template contains a symlink "${display}" whose chain of links is longer than ${maxHops} (or a loop). Shorten it.`,
  );
}

/** Whether `child` is `root` or below it (both absolute, resolved). */
export function isInside(root: string, child: string): boolean {
  const relative = path.relative(root, child);
  return (
    relative === '' ||
    (!relative.startsWith(`..${path.sep}`) &&
      relative !== '..' &&
      !path.isAbsolute(relative))
  );
}
