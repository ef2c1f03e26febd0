/**
 * The longest app name. An app name becomes part of a Docker image name, a
 * container name (`<app>-<deploymentId>`), a Traefik router name and a host
 * name label, and the suffixes must still fit a 63-character DNS label.
 *
 * @public
 */
export const APP_NAME_MAX_LENGTH = 40;

/**
 * What an app name looks like, as the source of a regular expression that
 * JSON Schema `pattern`s (templates, the API description) take as it is: 2 to
 * 40 lowercase letters, digits and single dashes, starting with a letter and
 * not ending with a dash. `--` is kept free for installation prefixes.
 *
 * @public
 */
export const APP_NAME_PATTERN_SOURCE = '^(?!.*--)[a-z][a-z0-9-]{0,38}[a-z0-9]$';

/**
 * {@link APP_NAME_PATTERN_SOURCE} as a regular expression.
 *
 * @public
 */
export const APP_NAME_PATTERN = new RegExp(APP_NAME_PATTERN_SOURCE);

/**
 * Why `name` is not a valid app name, as a message for the user, or
 * `undefined` when it is one. The backend, the scaffolder action and the UI
 * all decide with this function, so what one accepts the others accept.
 *
 * @public
 */
export function appNameProblem(name: unknown): string | undefined {
  if (typeof name === 'string' && APP_NAME_PATTERN.test(name)) {
    return undefined;
  }
  return `Invalid app name "${String(name).slice(
    0,
    80,
  )}": use 2-${APP_NAME_MAX_LENGTH} lowercase letters, digits and single dashes, starting with a letter (e.g. "orders-api").`;
}

/**
 * True when `name` is a valid app name (see {@link appNameProblem}).
 *
 * @public
 */
export function isValidAppName(name: unknown): name is string {
  return appNameProblem(name) === undefined;
}
