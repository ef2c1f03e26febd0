/*
 * Encryption at rest of secret env values: AES-256-GCM with a random 12-byte
 * IV per value, bound to the app and variable name it belongs to (additional
 * authenticated data), so a sealed value copied to another app or variable
 * does not open. A sealed value is `v1:<keyId>:<base64 of iv | tag | ciphertext>`.
 */
import crypto from 'node:crypto';
import { InputError } from '@backstage/errors';

/** The setting that holds the keys; named in every refusal. */
export const ENCRYPTION_KEYS_SETTING = 'slipway.secrets.encryptionKeys';

const KEY_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const SEALED = /^v1:([A-Za-z0-9_.-]{1,64}):([A-Za-z0-9+/]+={0,2})$/;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** One key: `id` goes into every value it seals, so rotation can find it. */
export interface EncryptionKey {
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

/** Checks and decodes configured keys (`key` is base64 of 32 bytes). */
export function parseEncryptionKeys(
  entries: Array<{ id: string; key: string }>,
): EncryptionKey[] {
  const seen = new Set<string>();
  return entries.map((entry, index) => {
    const where = `${ENCRYPTION_KEYS_SETTING}[${index}]`;
    if (!KEY_ID.test(entry.id)) {
      throw new Error(
        `${where}.id must be 1-64 letters, digits, "_", "." or "-"`,
      );
    }
    if (seen.has(entry.id)) {
      throw new Error(`${where}.id "${entry.id}" is listed twice`);
    }
    seen.add(entry.id);
    const key = Buffer.from(entry.key, 'base64');
    if (key.length !== 32 || key.toString('base64') !== entry.key.trim()) {
      throw new Error(
        `${where}.key must be base64 of 32 random bytes (e.g. the output of "openssl rand -base64 32")`,
      );
    }
    return { id: entry.id, key };
  });
}

function aad(app: string, name: string): Buffer {
  return Buffer.from(`slipway-secret-env\0${app}\0${name}`);
}

/**
 * Seals and opens secret env values with the configured keys: the first
 * key seals, every key opens. Without keys nothing can be sealed, and a
 * non-empty secret env is refused with a message naming the setting.
 */
export class SecretBox {
  private readonly byId: Map<string, Buffer>;

  constructor(private readonly keys: EncryptionKey[]) {
    this.byId = new Map(keys.map(k => [k.id, k.key]));
  }

  /** A box with a random key that lives as long as the process. */
  static ephemeral(): SecretBox {
    return new SecretBox([
      {
        id: `ephemeral-${crypto.randomBytes(4).toString('hex')}`,
        key: crypto.randomBytes(32),
      },
    ]);
  }

  /** Whether a key is configured (secret env can be stored). */
  get canSeal(): boolean {
    return this.keys.length > 0;
  }

  /** The id of the key that seals; values under other ids are resealed. */
  get primaryKeyId(): string | undefined {
    return this.keys[0]?.id;
  }

  /** The key id of a sealed value; `undefined` if it is not one. */
  keyIdOf(sealed: string): string | undefined {
    return SEALED.exec(sealed)?.[1];
  }

  /** Seals the value of variable `name` of app `app` with the first key. */
  seal(app: string, name: string, value: string): string {
    const primary = this.keys[0];
    if (!primary) {
      throw new InputError(
        `secretEnv needs an encryption key: set ${ENCRYPTION_KEYS_SETTING} (see the README, "Security model")`,
      );
    }
    const iv = crypto.randomBytes(IV_BYTES);
    const cipher = crypto.createCipheriv('aes-256-gcm', primary.key, iv);
    cipher.setAAD(aad(app, name));
    const body = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    const packed = Buffer.concat([iv, cipher.getAuthTag(), body]);
    return `v1:${primary.id}:${packed.toString('base64')}`;
  }

  /** Opens a sealed value; the error names the variable and the key id. */
  open(app: string, name: string, sealed: string): string {
    const match = SEALED.exec(sealed);
    if (!match) {
      throw new Error(`secret env ${name} is not an encrypted value`);
    }
    const [, keyId, b64] = match;
    const key = this.byId.get(keyId);
    if (!key) {
      throw new Error(
        `secret env ${name} was encrypted with key "${keyId}", which is not in ${ENCRYPTION_KEYS_SETTING}; add that key back after the current one, or set the secret again`,
      );
    }
    const packed = Buffer.from(b64, 'base64');
    try {
      const decipher = crypto.createDecipheriv(
        'aes-256-gcm',
        key,
        packed.subarray(0, IV_BYTES),
      );
      decipher.setAAD(aad(app, name));
      decipher.setAuthTag(packed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([
        decipher.update(packed.subarray(IV_BYTES + TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new Error(
        `secret env ${name} does not decrypt with key "${keyId}": the key under that id changed or the stored value was altered; set the secret again`,
      );
    }
  }

  /** Seals every value of a secret env map. */
  sealEnv(app: string, env: Record<string, string>): Record<string, string> {
    return Object.fromEntries(
      Object.entries(env).map(([name, v]) => [name, this.seal(app, name, v)]),
    );
  }

  /** Opens every value of a sealed map; throws on the first that fails. */
  openEnv(app: string, sealed: Record<string, string>): Record<string, string> {
    return Object.fromEntries(
      Object.entries(sealed ?? {}).map(([name, v]) => [
        name,
        this.open(app, name, v),
      ]),
    );
  }

  /** The values that open, for masking in logs; failures are skipped. */
  maskValues(app: string, sealed: Record<string, string>): string[] {
    return Object.entries(sealed ?? {}).flatMap(([name, v]) => {
      try {
        return [this.open(app, name, v)];
      } catch {
        return [];
      }
    });
  }

  /**
   * The map with values of other (still configured) keys sealed again with
   * the first key; `undefined` when nothing needs it. Values of unknown keys
   * stay as they are.
   */
  resealEnv(
    app: string,
    sealed: Record<string, string>,
  ): Record<string, string> | undefined {
    let changed = false;
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(sealed)) {
      const keyId = this.keyIdOf(value);
      if (keyId && keyId !== this.primaryKeyId && this.byId.has(keyId)) {
        out[name] = this.seal(app, name, this.open(app, name, value));
        changed = true;
      } else {
        out[name] = value;
      }
    }
    return changed ? out : undefined;
  }
}
