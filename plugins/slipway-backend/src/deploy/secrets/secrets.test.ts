import crypto from 'node:crypto';
import { createTestDatabases } from '@slipway/test-utils';
import { applyDatabaseMigrations } from '../../database/migrations';
import { DeployStore } from '../DeployStore';
import { resealSecrets } from './reseal';
import { parseEncryptionKeys, SecretBox } from './SecretBox';

jest.setTimeout(60_000);

const databases = createTestDatabases();

const key = (id: string) => ({
  id,
  key: crypto.randomBytes(32).toString('base64'),
});
const OLD = key('old');
const NEW = key('new');
const box = (...keys: Array<{ id: string; key: string }>) =>
  new SecretBox(parseEncryptionKeys(keys));

describe('SecretBox', () => {
  it('seals with a fresh IV per value and opens only for the same app and variable', () => {
    const b = box(NEW);
    const a1 = b.seal('shop', 'TOKEN', 'hunter2-plain');
    const a2 = b.seal('shop', 'TOKEN', 'hunter2-plain');
    expect(a1).toMatch(/^v1:new:[A-Za-z0-9+/]+=*$/);
    expect(a1).not.toBe(a2);
    expect(a1).not.toContain('hunter2');
    expect(b.open('shop', 'TOKEN', a1)).toBe('hunter2-plain');
    // A value copied to another app or variable in the database is refused.
    expect(() => b.open('other', 'TOKEN', a1)).toThrow(/does not decrypt/);
    expect(() => b.open('shop', 'OTHER', a1)).toThrow(/does not decrypt/);
    const tampered = a1.slice(0, -4) + (a1.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect(() => b.open('shop', 'TOKEN', tampered)).toThrow(/altered/);
  });

  it('rotates: the first key seals, old keys open, an unknown key id fails naming the setting', () => {
    const sealedOld = box(OLD).seal('shop', 'TOKEN', 'v-old');
    const rotated = box(NEW, OLD);
    expect(rotated.open('shop', 'TOKEN', sealedOld)).toBe('v-old');
    expect(rotated.keyIdOf(rotated.seal('shop', 'TOKEN', 'x'))).toBe('new');
    const resealed = rotated.resealEnv('shop', { TOKEN: sealedOld })!;
    expect(rotated.keyIdOf(resealed.TOKEN)).toBe('new');
    expect(box(NEW).open('shop', 'TOKEN', resealed.TOKEN)).toBe('v-old');
    expect(() => box(NEW).open('shop', 'TOKEN', sealedOld)).toThrow(
      'secret env TOKEN was encrypted with key "old", which is not in slipway.secrets.encryptionKeys',
    );
  });

  it('refuses to seal without a key and refuses malformed keys', () => {
    expect(() => new SecretBox([]).seal('shop', 'TOKEN', 'x')).toThrow(
      /set slipway.secrets.encryptionKeys/,
    );
    expect(() => parseEncryptionKeys([{ id: 'k', key: 'c2hvcnQ=' }])).toThrow(
      /slipway.secrets.encryptionKeys\[0\].key must be base64 of 32/,
    );
    expect(() => parseEncryptionKeys([NEW, { ...OLD, id: 'new' }])).toThrow(
      /listed twice/,
    );
  });
});

describe('secret env at rest', () => {
  it.each(databases.eachSupportedId())(
    'migrates plaintext rows only with a key, then re-encrypts old-key values at startup on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(
        knex,
        {},
        { upTo: '20261201020000_deploy_triggers.js' },
      );
      // Rows as the previous version wrote them: plaintext.
      await knex('apps').insert({
        name: 'legacy',
        repo_url: 'file:///srv/repo',
        port: 8080,
        secret_env: JSON.stringify({ TOKEN: 'legacy-plain-value' }),
      });
      await knex('deployments').insert({
        app: 'legacy',
        status: 'running',
        config: JSON.stringify({
          port: 8080,
          env: {},
          secretEnv: { TOKEN: 'legacy-plain-value' },
        }),
      });

      await expect(applyDatabaseMigrations(knex)).rejects.toThrow(
        /App "legacy" has secret env stored in plain text.*set slipway.secrets.encryptionKeys/,
      );
      const old = box(OLD);
      await applyDatabaseMigrations(knex, {
        sealSecret: (app, name, value) => old.seal(app, name, value),
      });
      const dump = async () =>
        JSON.stringify([
          await knex('apps').select(),
          await knex('deployments').select(),
        ]);
      expect(await dump()).not.toContain('legacy-plain-value');

      // Rotation: NEW first, OLD still listed; startup reseals everything.
      const rotated = box(NEW, OLD);
      const store = new DeployStore(knex, rotated);
      await store.deployments.queue('legacy', { trigger: 'manual' });
      expect(await resealSecrets(store, rotated)).toBe(3);
      expect(await resealSecrets(store, rotated)).toBe(0);
      expect(await dump()).not.toMatch(/v1:old:/);
      const onlyNew = box(NEW);
      const app = await new DeployStore(knex, onlyNew).apps.require('legacy');
      expect(onlyNew.openEnv('legacy', app.secretEnv)).toEqual({
        TOKEN: 'legacy-plain-value',
      });
      const deployments = await store.deployments.list({
        app: 'legacy',
        limit: 10,
      });
      for (const d of deployments.items) {
        expect(onlyNew.openEnv('legacy', d.config.secretEnv)).toEqual({
          TOKEN: 'legacy-plain-value',
        });
      }
    },
  );
});
