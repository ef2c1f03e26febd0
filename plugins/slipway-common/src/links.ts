/**
 * The URL as an absolute `http:` or `https:` URL (normalized, as a browser
 * would follow it), or `undefined` for anything else: `javascript:`,
 * `data:`, relative paths, non-strings. Links in events, workflow runs and
 * deployments come from outside (webhook payloads, other producers), so the
 * backend stores and the frontend renders only what this accepts.
 *
 * @public
 */
export function httpUrl(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return undefined;
  let url: URL;
  try {
    // The WHATWG parser strips what browsers strip (leading control
    // characters, tabs and newlines inside the scheme), so "java\tscript:"
    // is judged as the browser would follow it.
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (!url.hostname) return undefined;
  return url.href;
}
