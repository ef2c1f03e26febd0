import { InputError } from '@backstage/errors';
import { appNameProblem } from '@slipway/plugin-slipway-common';

/**
 * Validates an app name with the rule the scaffolder action and the UI use
 * too (`appNameProblem` of -common). It becomes part of a Docker image name,
 * a container name, a Traefik router name and a host name, so it must be a
 * lowercase DNS label.
 */
export function validateAppName(name: unknown): string {
  const problem = appNameProblem(name);
  if (problem) throw new InputError(problem);
  return name as string;
}

const INSTALLATION_ID = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** The installation id every engine uses unless configured. */
export const DEFAULT_INSTALLATION = 'default';

/** Validates `slipway.deploy.installationId`: a short lowercase DNS label. */
export function validateInstallationId(id: string): string {
  if (!INSTALLATION_ID.test(id) || id.length > 20) {
    throw new Error(
      `Invalid slipway.deploy.installationId "${id.slice(
        0,
        40,
      )}": use 1-20 lowercase letters, digits and single dashes (e.g. "prod").`,
    );
  }
  return id;
}

/**
 * Names and labels of the Docker objects of one installation. The default
 * installation keeps the contract names (`slipway-<app>:<id>`,
 * `<app>-<id>`); another installation prefixes them with `<installation>--`.
 * App names never contain `--`, so names of two installations never
 * collide. Every object also carries the label `slipway.installation`.
 */
export class InstallationNames {
  constructor(readonly installationId: string = DEFAULT_INSTALLATION) {}

  private prefix(): string {
    return this.installationId === DEFAULT_INSTALLATION
      ? ''
      : `${this.installationId}--`;
  }

  /** `slipway-<app>` (default) or `slipway-<installation>--<app>`. */
  imageRepository(app: string): string {
    return `slipway-${this.prefix()}${app}`;
  }

  /** `<imageRepository>:<deploymentId>`. */
  imageTag(app: string, deploymentId: string): string {
    return `${this.imageRepository(app)}:${deploymentId}`;
  }

  /** `<app>-<deploymentId>`, prefixed by a non-default installation. */
  containerName(app: string, deploymentId: string): string {
    return `${this.prefix()}${app}-${deploymentId}`;
  }

  /** The app's own Docker network: `slipway-[<installation>--]<app>`. */
  networkName(app: string): string {
    return `slipway-${this.prefix()}${app}`;
  }

  /** Labels of every Docker object of the app (networks included). */
  ownerLabels(app: string): Record<string, string> {
    return { 'slipway.installation': this.installationId, 'slipway.app': app };
  }

  /**
   * Whether labels belong to this installation. Containers from before
   * installation ids carry none and belong to the default installation.
   */
  owns(labels: Record<string, string> | undefined): boolean {
    return (
      (labels?.['slipway.installation'] ?? DEFAULT_INSTALLATION) ===
      this.installationId
    );
  }

  /** Labels that let Traefik route to the container and Slipway find it. */
  containerLabels(options: {
    app: string;
    deploymentId: string;
    port: number;
    baseDomain: string;
  }): Record<string, string> {
    const { app, deploymentId, port, baseDomain } = options;
    const router = `${this.prefix()}${app}`;
    return {
      'traefik.enable': 'true',
      [`traefik.http.routers.${router}.rule`]: `Host(\`${app}.${baseDomain}\`)`,
      [`traefik.http.services.${router}.loadbalancer.server.port`]:
        String(port),
      // The container is on its app's network only.
      'traefik.docker.network': this.networkName(app),
      ...this.ownerLabels(app),
      'slipway.deployment': deploymentId,
    };
  }
}

/** `slipway-<app>:<deploymentId>` (contract, default installation). */
export function imageTagFor(app: string, deploymentId: string): string {
  return new InstallationNames().imageTag(app, deploymentId);
}

/** `<app>-<deploymentId>` (contract, default installation). */
export function containerNameFor(app: string, deploymentId: string): string {
  return new InstallationNames().containerName(app, deploymentId);
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
