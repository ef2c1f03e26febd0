import { createTestDatabases } from '@slipway/test-utils';
import { applyDatabaseMigrations } from '../database/migrations';
import { DeployStore } from './DeployStore';
import { DeploymentLogWriter, DeploymentSignals } from './logs';

jest.setTimeout(60_000);

const databases = createTestDatabases();

describe('deployment logs', () => {
  it.each(databases.eachSupportedId())(
    'stores lines in order with secret values masked and wakes followers on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      await applyDatabaseMigrations(knex);
      const store = new DeployStore(knex);
      const { deployment } = await store.apps.createWithDeployment(
        {
          name: 'log-app',
          repoUrl: 'file:///srv/repo',
          contextPath: '.',
          dockerfilePath: 'Dockerfile',
          port: 8080,
          env: {},
          secretEnv: { TOKEN: 'hunter2-secret' },
          resources: {},
        },
        { trigger: 'manual' },
      );
      const signals = new DeploymentSignals();
      const writer = new DeploymentLogWriter(store, signals, deployment.id, [
        'hunter2-secret',
        'x',
      ]);
      const woken = signals.wait(deployment.id, 5000);
      const started = Date.now();
      writer.write('build', 'Step 1/2 : FROM scratch');
      writer.write('build', 'echo hunter2-secret and x marks the spot  ');
      await woken;
      // Woken by the flush, not by the 5 s timeout.
      expect(Date.now() - started).toBeLessThan(4000);
      for (let i = 0; i < 250; i++) writer.write('run', `line ${i}`);
      await writer.flush();

      const lines = await store.logs.read(deployment.id, { limit: 1000 });
      expect(lines).toHaveLength(252);
      expect(lines[0]).toMatchObject({
        step: 'build',
        line: 'Step 1/2 : FROM scratch',
      });
      // Masked; short values are left alone so output stays readable.
      expect(lines[1].line).toBe('echo *** and x marks the spot');
      expect(lines[251].line).toBe('line 249');
      const after = await store.logs.read(deployment.id, {
        afterId: lines[249].id,
        limit: 10,
      });
      expect(after.map(l => l.line)).toEqual(['line 248', 'line 249']);
    },
  );
});
