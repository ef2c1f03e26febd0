import { InputError } from '@backstage/errors';

/*
 * Rules for the paths a template extraction writes, checked on the final
 * text (after values were substituted), before anything is written:
 *
 * - A path is a list of plain names joined by "/". No segment is "." or
 *   "..", none contains a backslash (a separator on Windows, where the
 *   repository may later be checked out) or a NUL byte, the first does not
 *   start with a drive letter ("C:"), and none is ".git" (a template never
 *   writes git metadata: later steps run git in the workspace).
 * - A link target is relative and descends only after climbing: any ".."
 *   come first ("../../shared/x"), never after a name ("sub/../.."). A ".."
 *   after a name is resolved by the kernel from wherever that name leads
 *   (if it is itself a link, from the link's target), so only this form can
 *   be checked by counting: climbing k levels from the link's real directory
 *   ends inside the output root exactly when k is at most the link's depth.
 */

const DRIVE_LETTER = /^[A-Za-z]:/;

function segmentProblem(segment: string, first: boolean): string | undefined {
  if (segment === '..') return 'contains ".."';
  if (segment === '.') return 'contains a "." segment';
  if (segment.includes('\\')) {
    return 'contains a backslash, a path separator on Windows (use "/" between directories)';
  }
  if (segment.includes('\0')) return 'contains a NUL byte';
  if (first && DRIVE_LETTER.test(segment)) {
    return 'starts with a drive letter';
  }
  if (segment.toLowerCase() === '.git') {
    return 'names a ".git" directory (a template may not write git metadata)';
  }
  return undefined;
}

/** The first problem of a list of path segments, if any. */
function segmentsProblem(segments: string[]): string | undefined {
  for (let i = 0; i < segments.length; i++) {
    const problem = segmentProblem(segments[i], i === 0);
    if (problem) return problem;
  }
  return undefined;
}

/**
 * The segments of the path a template entry renders to, or undefined when
 * the entry is skipped: a name that renders empty, starts with "/" or holds
 * an empty segment ("a//b") is skipped, as the scaffolder's fetch:template
 * does (an optional directory whose value is empty leaves its files out),
 * so nothing is written for it. Throws an InputError for a name that would
 * leave the target directory or is unsafe (see the rules above).
 */
export function renderedSegments(
  rendered: string,
  source: string,
): string[] | undefined {
  const segments = rendered.split('/');
  if (segments.some(segment => segment === '')) return undefined;
  const problem = segmentsProblem(segments);
  if (!problem) return segments;
  const outside =
    problem === 'contains ".."'
      ? ' would be written outside the target directory: it'
      : '';
  throw new InputError(
    `The rendered file name "${rendered.slice(0, 300)}" (from "${source.slice(
      0,
      300,
    )}")${outside} ${problem}. Check the values used in the template's file names.`,
  );
}

/**
 * The segments of a relative path given as an input (targetPath,
 * provenanceFile): a leading "./" and a trailing "/" are allowed, "" and
 * "./" are the base directory itself. Throws an InputError naming `input`.
 */
export function inputSegments(value: string, input: string): string[] {
  const trimmed = value.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  if (trimmed === '' || trimmed === '.') return [];
  const segments = trimmed.split('/');
  let problem: string | undefined;
  if (trimmed.startsWith('/')) problem = 'is absolute';
  else if (segments.some(segment => segment === '')) {
    problem = 'contains an empty segment ("//")';
  } else problem = segmentsProblem(segments);
  if (problem) {
    throw new InputError(
      `Invalid ${input} "${value.slice(
        0,
        300,
      )}": it ${problem}. Use a relative path inside the workspace, e.g. "service" or "docs/site".`,
    );
  }
  return segments;
}

/** A link target in the checkable form: climb `up` levels, then descend. */
export interface LinkTarget {
  up: number;
  down: string[];
}

/**
 * Parses a symlink target into {@link LinkTarget}, or throws an InputError
 * naming the link (`display`) when it is absolute, uses backslashes, or
 * climbs after a name.
 */
export function parseLinkTarget(target: string, display: string): LinkTarget {
  const refuse = (problem: string) =>
    new InputError(
      `The template contains a symlink "${display}" whose target "${target.slice(
        0,
        300,
      )}" ${problem}. Make it a relative link inside the template directory, with any ".." at the start (e.g. "../shared/file").`,
    );
  if (target === '') throw refuse('is empty');
  if (target.startsWith('/') || DRIVE_LETTER.test(target)) {
    throw refuse('is absolute');
  }
  let up = 0;
  const down: string[] = [];
  for (const segment of target.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (down.length > 0) throw refuse('climbs ("..") after a name');
      up++;
      continue;
    }
    const problem = segmentProblem(segment, false);
    if (problem) throw refuse(problem);
    down.push(segment);
  }
  return { up, down };
}
