import { InputError } from '@backstage/errors';
import { validateGitRef } from '@slipway/plugin-slipway-node';
import type { AutoDeploySpec } from '@slipway/plugin-slipway-common';
import { ContainerLimits, DeployConfig, limitsForApp } from './config';
import { AppInput } from './store/records';
import { validateAppName, validateRepoPath } from './names';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const KNOWN_FIELDS = new Set([
  'name',
  'repoUrl',
  'ref',
  'contextPath',
  'dockerfilePath',
  'port',
  'env',
  'secretEnv',
  'resources',
  'healthCheck',
  'entityRef',
  'autoDeploy',
]);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function envMap(value: unknown, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) {
    throw new InputError(
      `${field} must be an object of NAME: "value" strings.`,
    );
  }
  for (const [key, v] of Object.entries(value)) {
    if (!ENV_NAME.test(key)) {
      throw new InputError(
        `${field} has an invalid variable name "${key.slice(
          0,
          60,
        )}": use letters, digits and _ and do not start with a digit.`,
      );
    }
    if (typeof v !== 'string') {
      // The value itself is not echoed: it may be a secret.
      throw new InputError(`${field}.${key} must be a string.`);
    }
  }
  return value as Record<string, string>;
}

function numberIn(
  value: unknown,
  field: string,
  min: number,
  max: number,
  integer = true,
): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    (integer && !Number.isInteger(value)) ||
    value < min ||
    value > max
  ) {
    throw new InputError(
      `${field} must be ${
        integer ? 'an integer' : 'a number'
      } from ${min} to ${max}.`,
    );
  }
  return value;
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > 1000) {
    throw new InputError(
      `${field} must be a string (at most 1000 characters).`,
    );
  }
  return value;
}

/**
 * Checks an app body of POST /apps (all required fields) or PATCH
 * /apps/:name (only the fields present). Unknown fields are refused so a
 * typo never silently does nothing.
 */
export function parseAppInput(
  body: unknown,
  mode: 'create' | 'update',
): Partial<AppInput> {
  if (!isObject(body)) {
    throw new InputError('The request body must be a JSON object.');
  }
  const unknown = Object.keys(body).filter(k => !KNOWN_FIELDS.has(k));
  if (unknown.length) {
    throw new InputError(
      `Unknown field(s) ${unknown.join(', ')}; allowed: ${[
        ...KNOWN_FIELDS,
      ].join(', ')}.`,
    );
  }
  const out: Partial<AppInput> = {
    ...parseIdentity(body, mode),
    ...parseSource(body, mode),
  };
  if (body.port !== undefined || mode === 'create') {
    out.port = numberIn(body.port, 'port', 1, 65535) ?? 8080;
  }
  if (body.env !== undefined || mode === 'create') {
    out.env = envMap(body.env, 'env');
  }
  if (body.secretEnv !== undefined || mode === 'create') {
    out.secretEnv = envMap(body.secretEnv, 'secretEnv');
  }
  if (body.resources !== undefined || mode === 'create') {
    out.resources = parseResources(body.resources);
  }
  if ('healthCheck' in body) {
    out.healthCheck = parseHealthCheck(body.healthCheck);
  }
  if ('entityRef' in body) {
    out.entityRef = optionalString(body.entityRef, 'entityRef');
  }
  if ('autoDeploy' in body) {
    out.autoDeploy = parseAutoDeploy(body.autoDeploy);
  }
  return out;
}

/** The app's name (create) and the refusal to rename (update). */
function parseIdentity(
  body: Record<string, unknown>,
  mode: 'create' | 'update',
): Partial<AppInput> {
  const out: Partial<AppInput> = {};
  if (mode === 'create') {
    out.name = validateAppName(body.name);
    if (typeof body.repoUrl !== 'string' || !body.repoUrl) {
      throw new InputError(
        'repoUrl is required: the git URL of the app (https://host/owner/repo).',
      );
    }
  } else if ('name' in body && body.name !== undefined) {
    throw new InputError(
      'An app cannot be renamed; create a new app and delete this one.',
    );
  }
  return out;
}

/** Where the app's source is: repository, ref, build context, Dockerfile. */
function parseSource(
  body: Record<string, unknown>,
  mode: 'create' | 'update',
): Partial<AppInput> {
  const out: Partial<AppInput> = {};
  if (body.repoUrl !== undefined) {
    out.repoUrl = optionalString(body.repoUrl, 'repoUrl');
  }
  if ('ref' in body) {
    out.ref =
      body.ref === null || body.ref === undefined
        ? undefined
        : validateGitRef(String(optionalString(body.ref, 'ref')));
  }
  if (body.contextPath !== undefined || mode === 'create') {
    out.contextPath = validateRepoPath(
      optionalString(body.contextPath, 'contextPath') ?? '.',
      'contextPath',
    );
  }
  if (body.dockerfilePath !== undefined || mode === 'create') {
    out.dockerfilePath = validateRepoPath(
      optionalString(body.dockerfilePath, 'dockerfilePath') ??
        (out.contextPath && out.contextPath !== '.'
          ? `${out.contextPath}/Dockerfile`
          : 'Dockerfile'),
      'dockerfilePath',
    );
  }
  return out;
}

function parseResources(value: unknown): AppInput['resources'] {
  const r = value ?? {};
  if (!isObject(r)) {
    throw new InputError('resources must be { memoryMb?, cpus? }.');
  }
  return {
    memoryMb: numberIn(r.memoryMb, 'resources.memoryMb', 8, 1024 * 1024),
    cpus: numberIn(r.cpus, 'resources.cpus', 0.01, 1024, false),
  };
}

function parseHealthCheck(h: unknown): AppInput['healthCheck'] {
  if (h === null || h === undefined) {
    return undefined;
  }
  if (!isObject(h) || typeof h.path !== 'string' || !h.path.startsWith('/')) {
    throw new InputError(
      'healthCheck.path is required and must start with "/" (e.g. "/healthz").',
    );
  }
  // eslint-disable-next-line no-control-regex
  if (/[\s'"\\`$\x00-\x1f]/.test(h.path) || h.path.length > 500) {
    throw new InputError(
      'healthCheck.path must be a plain URL path without spaces, quotes, backslashes or $.',
    );
  }
  return {
    path: h.path,
    timeoutSeconds: numberIn(
      h.timeoutSeconds,
      'healthCheck.timeoutSeconds',
      1,
      3600,
    ),
    intervalSeconds: numberIn(
      h.intervalSeconds,
      'healthCheck.intervalSeconds',
      1,
      300,
    ),
  };
}

/** Most workflows an app can require. */
const MAX_REQUIRED_WORKFLOWS = 20;

/**
 * `autoDeploy`: `{ branch, requireGreenCi?, requiredWorkflows? }`, or null to
 * turn it off. requiredWorkflows only makes sense when green CI is required.
 */
function parseAutoDeploy(a: unknown): AutoDeploySpec | undefined {
  if (a === null || a === undefined) return undefined;
  if (!isObject(a) || typeof a.branch !== 'string') {
    throw new InputError(
      'autoDeploy must be { branch, requireGreenCi?, requiredWorkflows? } (e.g. { "branch": "main" }).',
    );
  }
  const unknown = Object.keys(a).filter(
    k => !['branch', 'requireGreenCi', 'requiredWorkflows'].includes(k),
  );
  if (unknown.length) {
    throw new InputError(
      `Unknown autoDeploy field(s) ${unknown.join(
        ', ',
      )}; allowed: branch, requireGreenCi, requiredWorkflows.`,
    );
  }
  if (a.requireGreenCi !== undefined && typeof a.requireGreenCi !== 'boolean') {
    throw new InputError('autoDeploy.requireGreenCi must be true or false.');
  }
  const spec: AutoDeploySpec = {
    branch: validateGitRef(a.branch, 'autoDeploy.branch'),
    requireGreenCi: a.requireGreenCi ?? true,
  };
  if (a.requiredWorkflows !== undefined && a.requiredWorkflows !== null) {
    if (!spec.requireGreenCi) {
      throw new InputError(
        'autoDeploy.requiredWorkflows needs requireGreenCi: true (a push deploys at once without it).',
      );
    }
    spec.requiredWorkflows = requiredWorkflows(a.requiredWorkflows);
  }
  return spec;
}

function requiredWorkflows(value: unknown): string[] {
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    value.length > MAX_REQUIRED_WORKFLOWS ||
    value.some(w => typeof w !== 'string' || w.trim() === '' || w.length > 255)
  ) {
    throw new InputError(
      `autoDeploy.requiredWorkflows must be a list of 1 to ${MAX_REQUIRED_WORKFLOWS} workflow names or paths (e.g. ["CI", ".github/workflows/e2e.yml"]), each at most 255 characters.`,
    );
  }
  return [...new Set(value as string[])];
}

/** The setting that holds an app's container limit (per app or global). */
function limitSetting(
  cfg: DeployConfig,
  app: string,
  key: keyof ContainerLimits,
): string {
  return cfg.containersPerApp[app]?.[key] !== undefined
    ? `slipway.deploy.containers.apps.${app}.${key}`
    : `slipway.deploy.containers.${key}`;
}

/**
 * Refuses resources over the admin's maximums (400 naming the setting) and
 * returns the effective memory and CPUs: the request, else the defaults.
 */
export function effectiveResources(
  cfg: DeployConfig,
  app: string,
  resources: { memoryMb?: number; cpus?: number } | undefined,
): { memoryMb: number; cpus: number } {
  const limits = limitsForApp(cfg, app);
  const memoryMb = resources?.memoryMb ?? limits.defaultMemoryMb;
  const cpus = resources?.cpus ?? limits.defaultCpus;
  if (memoryMb > limits.maxMemoryMb) {
    throw new InputError(
      `resources.memoryMb ${memoryMb} is over the maximum of ${
        limits.maxMemoryMb
      } MB (${limitSetting(
        cfg,
        app,
        'maxMemoryMb',
      )}); request less or ask an admin to raise it.`,
    );
  }
  if (cpus > limits.maxCpus) {
    throw new InputError(
      `resources.cpus ${cpus} is over the maximum of ${
        limits.maxCpus
      } (${limitSetting(
        cfg,
        app,
        'maxCpus',
      )}); request less or ask an admin to raise it.`,
    );
  }
  return { memoryMb, cpus };
}
