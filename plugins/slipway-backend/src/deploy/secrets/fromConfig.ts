import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { Knex } from 'knex';
import {
  ENCRYPTION_KEYS_SETTING,
  parseEncryptionKeys,
  SecretBox,
} from './SecretBox';

/** Whether the database lives in this process only (SQLite `:memory:`). */
export function isInMemoryDatabase(knex: Knex): boolean {
  const { client, connection } = knex.client.config ?? {};
  if (!String(client).includes('sqlite')) return false;
  const filename =
    typeof connection === 'string' ? connection : connection?.filename;
  return filename === ':memory:';
}

/**
 * The box of `slipway.secrets.encryptionKeys`. Without keys: a database in
 * memory (the quick start) gets a key for this process, which lives exactly
 * as long as the data; any other database gets no key, so a secret env is
 * refused with a message naming the setting.
 */
export function secretBoxFromConfig(
  config: Config,
  options: { knex: Knex; logger?: LoggerService },
): SecretBox {
  const entries = config
    .getOptionalConfigArray(ENCRYPTION_KEYS_SETTING)
    ?.map(c => ({ id: c.getString('id'), key: c.getString('key') }));
  if (entries?.length) return new SecretBox(parseEncryptionKeys(entries));
  if (isInMemoryDatabase(options.knex)) {
    options.logger?.warn(
      `No ${ENCRYPTION_KEYS_SETTING}: secret env is encrypted with a key generated for this process, which is fine only because the database is in memory too`,
    );
    return SecretBox.ephemeral();
  }
  options.logger?.warn(
    `No ${ENCRYPTION_KEYS_SETTING}: apps cannot have secret env until a key is set`,
  );
  return new SecretBox([]);
}
