import { InputError } from '@backstage/errors';

const APP_NAME = /^[a-z][a-z0-9-]{0,38}[a-z0-9]$/;

/**
 * Validates an app name. It becomes part of a Docker image name, a container
 * name, a Traefik router name and a host name, so it must be a lowercase DNS
 * label.
 */
export function validateAppName(name: unknown): string {
  if (typeof name !== 'string' || !APP_NAME.test(name) || name.includes('--')) {
    throw new InputError(
      `Invalid app name "${String(name).slice(
        0,
        80,
      )}": use 2-40 lowercase letters, digits and single dashes, starting with a letter (e.g. "orders-api").`,
    );
  }
  return name;
}

/** `slipway-<app>:<deploymentId>` (contract). */
export function imageTagFor(app: string, deploymentId: string): string {
  return `slipway-${app}:${deploymentId}`;
}

/** `<app>-<deploymentId>` (contract). */
export function containerNameFor(app: string, deploymentId: string): string {
  return `${app}-${deploymentId}`;
}

/** Labels that let Traefik route to the container and Slipway find it. */
export function containerLabels(options: {
  app: string;
  deploymentId: string;
  port: number;
  baseDomain: string;
}): Record<string, string> {
  const { app, deploymentId, port, baseDomain } = options;
  return {
    'traefik.enable': 'true',
    [`traefik.http.routers.${app}.rule`]: `Host(\`${app}.${baseDomain}\`)`,
    [`traefik.http.services.${app}.loadbalancer.server.port`]: String(port),
    'slipway.app': app,
    'slipway.deployment': deploymentId,
  };
}

/**
 * Validates a path inside the repository (context or Dockerfile): relative,
 * without `..`, so a build can never read outside the clone.
 */
export function validateRepoPath(value: string, what: string): string {
  const normalized = value.replace(/\\/g, '/').replace(/^\.\/+/, '');
  if (
    normalized.startsWith('/') ||
    normalized.split('/').includes('..') ||
    normalized.startsWith('-') ||
    // eslint-disable-next-line no-control-regex
    /[\x00-\x1f]/.test(normalized)
  ) {
    throw new InputError(
      `Invalid ${what} "${value.slice(
        0,
        120,
      )}": use a path relative to the repository root without ".." (e.g. "services/api").`,
    );
  }
  return normalized === '' ? '.' : normalized;
}
