import { LIST_LIMITS } from '@slipway/plugin-slipway-common';
import { InputError } from '@backstage/errors';

/**
 * Opaque keyset cursor: base64url of the last id returned. Opaque so that
 * clients cannot come to depend on its shape.
 */
export function encodeCursor(lastId: string): string {
  return Buffer.from(`id:${lastId}`, 'utf8').toString('base64url');
}

/** Decodes a cursor made by {@link encodeCursor}; anything else is a 400. */
export function decodeCursor(cursor: string): bigint {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^id:(\d{1,19})$/.exec(text);
  if (!match) {
    throw new InputError(
      `Invalid cursor '${cursor.slice(
        0,
        64,
      )}': pass the nextCursor of a previous page unchanged`,
    );
  }
  return BigInt(match[1]);
}

/** Parses `limit` (1..max, default 50). */
export function parseLimit(
  value: unknown,
  max: number = LIST_LIMITS.max,
  fallback: number = LIST_LIMITS.default,
): number {
  if (value === undefined || value === '') {
    return fallback;
  }
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new InputError(
      `Invalid limit '${String(value)}': use a whole number from 1 to ${max}`,
    );
  }
  return n;
}

/** Parses an event id (decimal digits) from a path, header or query. */
export function parseEventId(value: unknown, what = 'event id'): bigint {
  if (typeof value !== 'string' || !/^\d{1,19}$/.test(value)) {
    throw new InputError(
      `Invalid ${what} '${String(value).slice(
        0,
        64,
      )}': expected the decimal id of an OASIS event`,
    );
  }
  return BigInt(value);
}
