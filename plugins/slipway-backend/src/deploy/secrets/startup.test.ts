import crypto from 'node:crypto';
import { createTestDatabases } from '@slipway/test-utils';
import request from 'supertest';
import { auth, startBackend, testConfig } from '../__testUtils__/testApps';

jest.setTimeout(60_000);

const databases = createTestDatabases();

const key = (id: string) => ({
  id,
  key: crypto.randomBytes(32).toString('base64'),
});

/** Test config with these encryption keys (none: the setting is absent). */
function configWith(keys: Array<{ id: string; key: string }>) {
  const config = testConfig({
    docker: { socketPath: '/nonexistent/docker.sock' },
  });
  const { secrets: _secrets, ...slipway } = config.slipway;
  return {
    slipway: keys.length
      ? { ...slipway, secrets: { encryptionKeys: keys } }
      : slipway,
  };
}

const createApp = (server: any, name: string) =>
  request(server)
    .post('/api/slipway/apps')
    .set(auth)
    .send({
      name,
      repoUrl: 'file:///srv/repo',
      secretEnv: { TOKEN: 'startup-plain-value' },
    });

describe('secret env keys at backend startup', () => {
  it.each(databases.eachSupportedId())(
    'without a key refuses secret env on a persistent database, and a restart with a new first key re-encrypts on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const inMemory = databaseId === 'SQLITE_3';

      const keyless = await startBackend(knex, configWith([]));
      const refused = await createApp(keyless.server, 'keyless');
      await keyless.stop();
      // The quick start (in-memory SQLite) gets a key for the process, as
      // short-lived as the data; a persistent database gets none.
      const keylessAnswer = inMemory
        ? { status: 201, message: undefined }
        : {
            status: 400,
            message: 'set slipway.secrets.encryptionKeys',
          };
      expect({
        status: refused.status,
        message: refused.body.error?.message?.match(
          /set slipway\.secrets\.encryptionKeys/,
        )?.[0],
      }).toEqual(keylessAnswer);
      expect(await knex('apps').where({ name: 'keyless' })).toHaveLength(
        inMemory ? 1 : 0,
      );

      const old = key('old');
      const first = await startBackend(knex, configWith([old]));
      expect((await createApp(first.server, 'rotated')).status).toBe(201);
      await first.stop();
      const stored = () =>
        knex('apps').where({ name: 'rotated' }).first('secret_env');
      expect((await stored()).secret_env).toContain('"v1:old:');

      const second = await startBackend(knex, configWith([key('new'), old]));
      await second.stop();
      const after = JSON.stringify(await stored());
      expect(after).toContain('v1:new:');
      expect(after).not.toContain('v1:old:');
      expect(after).not.toContain('startup-plain-value');
    },
  );
});
