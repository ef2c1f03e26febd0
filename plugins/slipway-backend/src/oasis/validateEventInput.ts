import { InputError } from '@backstage/errors';
import {
  httpUrl,
  OASIS_STATUSES,
  OasisEventInput,
  OasisStatus,
} from '@slipway/plugin-slipway-common';

/** Column widths of `oasis_events`; longer values would fail on PostgreSQL. */
const LIMITS = {
  vtid: 64,
  layer: 32,
  module: 32,
  source: 128,
  kind: 64,
  title: 2000,
  ref: 1000,
  link: 2000,
  repo: 255,
  entityRef: 255,
} as const;

const REQUIRED = ['module', 'source', 'kind', 'title'] as const;
const OPTIONAL = ['vtid', 'layer', 'ref', 'link', 'repo', 'entityRef'] as const;
const KNOWN = new Set<string>([...REQUIRED, ...OPTIONAL, 'status', 'meta']);

/** Largest `meta` accepted, as JSON. */
const MAX_META_BYTES = 64 * 1024;

/**
 * Checks an event before it is stored, so the same rules hold for
 * `POST /events`, the deploy engine and the GitHub mapping. Every message
 * names the field and what would be accepted.
 */
export function validateEventInput(input: unknown): OasisEventInput {
  if (!input || typeof input !== 'object' || Array.isArray(input)) {
    throw new InputError('An OASIS event must be a JSON object');
  }
  const value = input as Record<string, unknown>;
  const unknownKeys = Object.keys(value).filter(k => !KNOWN.has(k));
  if (unknownKeys.length > 0) {
    throw new InputError(
      `Unknown OASIS event field(s) ${unknownKeys.join(', ')}: allowed are ${[
        ...KNOWN,
      ].join(', ')} (id and createdAt are assigned by Slipway)`,
    );
  }
  for (const key of REQUIRED) {
    const v = value[key];
    if (typeof v !== 'string' || v.trim() === '') {
      throw new InputError(
        `OASIS event field ${key} is required: a non-empty string`,
      );
    }
    if (v.length > LIMITS[key]) {
      throw new InputError(
        `OASIS event field ${key} is too long: at most ${LIMITS[key]} characters`,
      );
    }
  }
  for (const key of OPTIONAL) {
    const v = value[key];
    if (v === undefined || v === null) {
      continue;
    }
    if (typeof v !== 'string') {
      throw new InputError(`OASIS event field ${key} must be a string or null`);
    }
    if (v.length > LIMITS[key]) {
      throw new InputError(
        `OASIS event field ${key} is too long: at most ${LIMITS[key]} characters`,
      );
    }
  }
  if (
    value.link !== undefined &&
    value.link !== null &&
    httpUrl(value.link) === undefined
  ) {
    throw new InputError(
      'OASIS event field link must be an absolute http:// or https:// URL (or null)',
    );
  }
  if (!OASIS_STATUSES.includes(value.status as OasisStatus)) {
    throw new InputError(
      `OASIS event field status must be one of ${OASIS_STATUSES.join(', ')}`,
    );
  }
  const meta = value.meta ?? {};
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
    throw new InputError('OASIS event field meta must be a JSON object');
  }
  if (JSON.stringify(meta).length > MAX_META_BYTES) {
    throw new InputError(
      `OASIS event field meta is too large: at most ${MAX_META_BYTES} bytes of JSON`,
    );
  }
  return {
    ...(value as unknown as OasisEventInput),
    meta: meta as Record<string, unknown>,
  };
}

/**
 * Sources only Slipway itself writes: GitHub deliveries (`github.*`, from
 * signed webhooks and its own poller) and the deploy engine (`slipway.*`).
 * Auto-deploy and CI/CD status trust them; nobody may publish them.
 */
const RESERVED_SOURCE = /^\s*(github|slipway)(\.|\s*$)/i;

/**
 * Checks an event published by another system through `POST /events`: the
 * rules of {@link validateEventInput}, and a source of its own (not
 * `github.*` or `slipway.*`).
 */
export function validatePublishedEvent(input: unknown): OasisEventInput {
  const event = validateEventInput(input);
  if (RESERVED_SOURCE.test(event.source)) {
    throw new InputError(
      `OASIS event source '${event.source.slice(
        0,
        64,
      )}' is refused: the sources github.* and slipway.* are reserved for Slipway itself (signed GitHub deliveries and the deploy engine); publish under your own source name, e.g. 'acme.deploy-watcher'`,
    );
  }
  return event;
}
