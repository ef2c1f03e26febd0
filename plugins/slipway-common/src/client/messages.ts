import {
  OASIS_STATUSES,
  type Deployment,
  type DeploymentStatus,
  type OasisEvent,
} from '../types';
import type { DeploymentLogLine } from './types';
import type {
  Deployment as DeploymentModel,
  LogLine as LogLineModel,
  OasisEvent as OasisEventModel,
} from '../generated';

// The generated client types JSON answers only; streamed messages and log
// pages are checked here against the spec's shapes (LogLine, OasisEvent,
// Deployment in openapi.yaml), so a server or proxy that sends anything else
// fails with a message naming what arrived instead of showing made-up data.

/** Every deployment status; `satisfies` keeps the list and the type equal. */
const DEPLOYMENT_STATUSES = {
  pending: true,
  cloning: true,
  building: true,
  starting: true,
  health_checking: true,
  running: true,
  failed: true,
  cancelled: true,
  superseded: true,
} satisfies Record<DeploymentStatus, true>;

function describe(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

function parseJsonObject(data: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    throw new Error(`${what} is not JSON: ${describe(data)}`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`${what} is not a JSON object: ${describe(data)}`);
  }
  return value as Record<string, unknown>;
}

function problemsOf(
  record: Record<string, unknown>,
  fields: Record<string, (v: unknown) => boolean>,
): string[] {
  return Object.entries(fields)
    .filter(([name, ok]) => !ok(record[name]))
    .map(([name]) => name);
}

const isString = (v: unknown) => typeof v === 'string';
const isStringOrNull = (v: unknown) => v === null || typeof v === 'string';

function check<T>(
  record: Record<string, unknown>,
  fields: Record<string, (v: unknown) => boolean>,
  what: string,
  shape: string,
): T {
  const wrong = problemsOf(record, fields);
  if (wrong.length > 0) {
    throw new Error(
      `${what} is not ${shape}: ${wrong.join(', ')} ${
        wrong.length === 1 ? 'is' : 'are'
      } missing or of the wrong type in ${describe(record)}`,
    );
  }
  return record as T;
}

/**
 * One log line (`LogLine` of the spec: `{ id, step, line, createdAt }`, all
 * strings); only those fields are kept.
 */
export function toLogLine(
  value: unknown,
  what: string,
): Required<DeploymentLogLine> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`${what} is not a log line object: ${describe(value)}`);
  }
  const line = check<LogLineModel>(
    value as Record<string, unknown>,
    { id: isString, step: isString, line: isString, createdAt: isString },
    what,
    'a log line { id, step, line, createdAt }',
  );
  return {
    id: line.id,
    step: line.step,
    line: line.line,
    createdAt: line.createdAt,
  };
}

/** The data of an `event: log` message. */
export function parseLogLine(
  data: string,
  what: string,
): Required<DeploymentLogLine> {
  return toLogLine(parseJsonObject(data, what), what);
}

/** The data of an `event: oasis` message. */
export function parseOasisEvent(data: string, what: string): OasisEvent {
  const event = check<OasisEventModel>(
    parseJsonObject(data, what),
    {
      id: isString,
      createdAt: isString,
      vtid: isString,
      layer: isString,
      module: isString,
      source: isString,
      kind: isString,
      status: v => (OASIS_STATUSES as readonly unknown[]).includes(v),
      title: isString,
      ref: isStringOrNull,
      link: isStringOrNull,
      repo: isStringOrNull,
      entityRef: isStringOrNull,
      meta: v => Boolean(v) && typeof v === 'object' && !Array.isArray(v),
    },
    what,
    'an OASIS event',
  );
  return event;
}

/** The data of the `event: end` message of a log follow. */
export function parseDeployment(data: string, what: string): Deployment {
  return check<DeploymentModel>(
    parseJsonObject(data, what),
    {
      id: isString,
      app: isString,
      status: v =>
        typeof v === 'string' &&
        Object.prototype.hasOwnProperty.call(DEPLOYMENT_STATUSES, v),
      createdAt: isString,
      updatedAt: isString,
    },
    what,
    'a deployment { id, app, status, createdAt, updatedAt }',
  );
}
