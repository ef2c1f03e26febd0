import { InputError } from '@backstage/errors';
import fs from 'node:fs/promises';
import path from 'node:path';
import { LinkTarget } from './outputPaths';
import { isInside } from './pathSafety';

/**
 * The directory an extraction writes into, and the only way it writes.
 *
 * Guarantee: nothing is created, written or removed outside the real path
 * of the root. Every operation first walks its parent directories from the
 * root one segment at a time, creating the missing ones, and resolves each
 * with `fs.realpath`; a segment whose real path is not inside the root (a
 * link made earlier in this extraction, or left in the workspace by an
 * earlier step) stops it with an InputError. The operation then acts on
 * that real parent, and never follows its final name: an existing entry is
 * removed as what it is (a link as a link, with `fs.rm`, which does not
 * follow links), files are created with `O_EXCL` (which fails rather than
 * follow a link), and their mode is set on the open file. A link is
 * created only when its target, resolved from the real parent, is inside
 * the root.
 */
export class OutputTree {
  private constructor(
    /** The real path of the output root. */
    readonly root: string,
  ) {}

  /**
   * Opens (creating it as needed) the directory `segments` below the
   * workspace, refusing one that leads out of the workspace's real path
   * through a link. `input` names the input for the message.
   */
  static async open(
    workspacePath: string,
    segments: string[],
    input: string,
  ): Promise<OutputTree> {
    const workspace = await fs.realpath(workspacePath);
    const root = await walkDirectories(
      workspace,
      segments,
      where =>
        `The ${input} "${segments.join(
          '/',
        )}" leads outside the workspace: "${where}" is a link to a place outside it, or no directory. Choose a ${input} inside the workspace.`,
    );
    return new OutputTree(root);
  }

  /** Creates the directory (and its parents) unless it exists. */
  async mkdir(segments: string[]): Promise<void> {
    await walkDirectories(this.root, segments, where =>
      refusal(segments, where),
    );
  }

  /** Writes a file with `mode`, replacing what is there. */
  async writeFile(
    segments: string[],
    content: string | Buffer,
    mode: number,
  ): Promise<void> {
    const file = await this.replaceable(segments);
    const handle = await fs.open(file, 'wx', mode);
    try {
      await handle.writeFile(content);
      await handle.chmod(mode);
    } finally {
      await handle.close();
    }
  }

  /**
   * Creates a symlink with the text `target` (already parsed as `parsed`),
   * replacing what is there, if the target stays inside the root.
   */
  async symlink(
    segments: string[],
    target: string,
    parsed: LinkTarget,
  ): Promise<void> {
    const parent = await this.parent(segments);
    const resolved = path.resolve(
      parent,
      ...Array(parsed.up).fill('..'),
      ...parsed.down,
    );
    if (!isInside(this.root, resolved)) {
      throw new InputError(
        `Refusing to create the link "${segments.join(
          '/',
        )}": its target "${target}" points outside the target directory from where the link would be. Only links inside the template are allowed.`,
      );
    }
    const link = path.join(parent, segments[segments.length - 1]);
    await removeExisting(link);
    await fs.symlink(target, link);
  }

  private async parent(segments: string[]): Promise<string> {
    return walkDirectories(this.root, segments.slice(0, -1), where =>
      refusal(segments, where),
    );
  }

  /** The real path to write `segments` at, with whatever was there removed. */
  private async replaceable(segments: string[]): Promise<string> {
    const file = path.join(
      await this.parent(segments),
      segments[segments.length - 1],
    );
    await removeExisting(file);
    return file;
  }
}

function refusal(segments: string[], where: string): string {
  return `Refusing to write "${segments.join(
    '/',
  )}": "${where}" in the target directory is a link to a place outside it, or no directory (it may have been left in the workspace by an earlier step). Remove it or choose another targetPath.`;
}

/**
 * Walks `segments` down from the real directory `base`, creating missing
 * directories; each step's real path must be a directory inside `base`.
 * Returns the real path of the last one.
 */
async function walkDirectories(
  base: string,
  segments: string[],
  message: (where: string) => string,
): Promise<string> {
  let current = base;
  for (let i = 0; i < segments.length; i++) {
    const next = path.join(current, segments[i]);
    const where = segments.slice(0, i + 1).join('/');
    if (!(await lstatOrUndefined(next))) {
      await fs.mkdir(next).catch(error => {
        if (error.code !== 'EEXIST') throw error;
      });
    }
    const real = await fs.realpath(next).catch(() => undefined);
    if (
      !real ||
      !isInside(base, real) ||
      !(await fs.stat(real)).isDirectory()
    ) {
      throw new InputError(message(where));
    }
    current = real;
  }
  return current;
}

async function lstatOrUndefined(file: string) {
  try {
    return await fs.lstat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Removes whatever is at `file` (never following a link). */
async function removeExisting(file: string): Promise<void> {
  if (await lstatOrUndefined(file)) {
    await fs.rm(file, { recursive: true, force: true });
  }
}
