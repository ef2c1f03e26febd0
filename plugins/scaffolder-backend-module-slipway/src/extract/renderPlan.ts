import { InputError } from '@backstage/errors';
import { LinkTarget, parseLinkTarget, renderedSegments } from './outputPaths';
import { TemplateEntry } from './templateEntries';

/** A template entry with the output path it renders to. */
export interface PlannedEntry {
  entry: TemplateEntry;
  /** The rendered output path, below the output root. */
  segments: string[];
  /** For a symlink: its target, checked at the rendered location. */
  link?: LinkTarget;
}

/**
 * Renders every entry's name and checks the output tree as it will be,
 * before anything is written:
 *
 * - each rendered path obeys the rules of outputPaths.ts (or is skipped);
 * - no two entries render to the same path (directories may merge), and
 *   nothing renders below a path the template makes a file or a symlink:
 *   a templated directory name that renders to the name of a link would
 *   otherwise write through that link;
 * - every symlink's target is checked where the link will be: climbing its
 *   ".." from the rendered directory stays inside the output root. (Link
 *   targets are copied as written, never rendered: a value cannot steer
 *   where a link points.)
 */
export function planOutput(
  entries: TemplateEntry[],
  renderName: (entry: TemplateEntry) => string,
  log?: (message: string) => void,
): PlannedEntry[] {
  const planned: PlannedEntry[] = [];
  for (const entry of entries) {
    const rendered = renderName(entry);
    const segments = renderedSegments(rendered, entry.relative);
    if (!segments) {
      log?.(
        `Skipping ${entry.relative}: its name renders empty, or to an absolute path or one with an empty directory`,
      );
      continue;
    }
    planned.push({
      entry,
      segments,
      ...(entry.kind === 'symlink'
        ? { link: checkedLink(entry, segments) }
        : {}),
    });
  }
  checkCollisions(planned);
  return planned;
}

function checkedLink(entry: TemplateEntry, segments: string[]): LinkTarget {
  const display = segments.join('/');
  const target = entry.linkTarget!;
  const link = parseLinkTarget(target, display);
  // The link lives in segments[0..-1]: it may climb that many levels.
  if (link.up > segments.length - 1) {
    throw new InputError(
      `The template contains a symlink "${entry.relative}" that, rendered as "${display}", points outside the target directory ("${target}"). Only links to files inside the template are allowed; check the values used in its name.`,
    );
  }
  return link;
}

function checkCollisions(planned: PlannedEntry[]): void {
  const kinds = new Map<string, PlannedEntry>();
  for (const item of planned) {
    const key = item.segments.join('/');
    const earlier = kinds.get(key);
    if (
      earlier &&
      !(earlier.entry.kind === 'dir' && item.entry.kind === 'dir')
    ) {
      throw new InputError(
        `The template entries "${earlier.entry.relative}" and "${item.entry.relative}" both render to "${key}". Check the values used in the template's file names.`,
      );
    }
    kinds.set(key, item);
  }
  for (const item of planned) {
    for (let i = 1; i < item.segments.length; i++) {
      const above = kinds.get(item.segments.slice(0, i).join('/'));
      if (above && above.entry.kind !== 'dir') {
        throw new InputError(
          `The template entry "${
            item.entry.relative
          }" renders to "${item.segments.join(
            '/',
          )}", below "${above.segments.join(
            '/',
          )}", which the template makes a ${
            above.entry.kind === 'symlink' ? 'symlink' : 'file'
          } ("${
            above.entry.relative
          }"). Writing through it is not allowed; check the values used in the template's file names.`,
        );
      }
    }
  }
}
