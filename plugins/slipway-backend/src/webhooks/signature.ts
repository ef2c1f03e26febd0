import { createHmac, timingSafeEqual } from 'node:crypto';

const HEADER = /^sha256=([0-9a-f]{64})$/i;

/**
 * Checks `X-Hub-Signature-256` (HMAC-SHA256 of the exact request bytes)
 * against every configured secret, so a secret can be rotated by listing
 * old and new for a while. Constant-time per comparison.
 */
export function verifyGithubSignature(
  secrets: readonly string[],
  body: Buffer,
  header: string | undefined,
): boolean {
  const match = header ? HEADER.exec(header.trim()) : null;
  if (!match) {
    return false;
  }
  const given = Buffer.from(match[1].toLowerCase(), 'hex');
  let ok = false;
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret).update(body).digest();
    // Every secret is tried, match or not, so timing does not tell which.
    if (timingSafeEqual(expected, given)) {
      ok = true;
    }
  }
  return ok;
}

/** Signs a body the way GitHub does (tests, benchmark, local tools). */
export function signGithubPayload(
  secret: string,
  body: string | Buffer,
): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}
