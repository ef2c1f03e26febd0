import { InputError } from '@backstage/errors';
import fs from 'node:fs/promises';
import path from 'node:path';
import { inputSegments } from '../extract/outputPaths';
import { isInside } from '../extract/pathSafety';

/**
 * The real path of the workspace directory `sourcePath` whose files are
 * pushed. It must exist and, links resolved, lie inside the workspace: a
 * link left there by an earlier step must not make the action push files
 * from elsewhere on the machine.
 */
export async function sourceDirectory(
  workspacePath: string,
  sourcePath: string,
): Promise<string> {
  const workspace = await fs.realpath(workspacePath);
  const segments = inputSegments(sourcePath, 'sourcePath');
  const real = await fs
    .realpath(path.join(workspace, ...segments))
    .catch(() => undefined);
  if (!real || !(await fs.stat(real)).isDirectory()) {
    throw new InputError(
      `The sourcePath "${sourcePath}" is no directory in the workspace. Point it at the directory to push, e.g. the targetPath of slipway:template:extract.`,
    );
  }
  if (!isInside(workspace, real)) {
    throw new InputError(
      `The sourcePath "${sourcePath}" leads outside the workspace through a link; only files inside the workspace are pushed. Point it at a directory inside the workspace.`,
    );
  }
  return real;
}
