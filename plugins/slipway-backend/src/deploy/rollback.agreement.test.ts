import { rollbackProblem } from '@slipway/plugin-slipway-common';
import { createTestDatabases } from '@slipway/test-utils';
import request from 'supertest';
import { auth, startBackend, testConfig } from './__testUtils__/testApps';

// Each case starts a Backstage backend (2-3 s on an idle 2-core machine):
// Jest's default 5 s was this file's timing assumption, and a loaded run
// exceeded it (soak with a CPU hog). Bounded like every other file here
// that starts a backend.
jest.setTimeout(60_000);

const databases = createTestDatabases();

/**
 * One rollback rule: the Deployments tab offers "Roll back to this" exactly
 * where `rollbackProblem` of -common says yes, and the engine refuses with
 * 409 exactly where it says no, with the same message. (Before, the tab
 * offered a rollback to a deployment superseded before it ever served, and
 * the engine answered 409.) Where the rule says yes the engine goes on to
 * what only it can check, the image on the Docker engine, unreachable here.
 */
describe('rollback: the UI rule and the deploy engine agree', () => {
  it.each(databases.eachSupportedId())('on %p', async databaseId => {
    const knex = await databases.init(databaseId);
    const backend = await startBackend(
      knex,
      testConfig({ docker: { host: '127.0.0.1', port: 9 } }),
    );
    try {
      const created = await request(backend.server)
        .post('/api/slipway/apps')
        .set(auth)
        .send({ name: 'agree', repoUrl: 'file:///nowhere', port: 8080 });
      expect(created.status).toBe(201);
      const first = Number(created.body.deployment.id);
      // What each deployment came to; the app serves `serving`.
      const history: Array<{ status: string; container?: boolean }> = [
        { status: 'superseded', container: true }, // served earlier
        { status: 'superseded' }, // replaced while pending: never served
        { status: 'failed', container: true }, // health check failed
        { status: 'cancelled' },
        { status: 'running', container: true }, // serving now
      ];
      const ids: string[] = [];
      for (const [i, h] of history.entries()) {
        const id = first + 100 + i;
        await knex('deployments').insert({
          id,
          app: 'agree',
          status: h.status,
          trigger: 'manual',
          image_tag: `slipway-agree:${id}`,
          container_id: h.container ? `c${id}` : null,
          config: '{}',
          created_at: new Date().toISOString(),
          updated_at: new Date().toISOString(),
        });
        ids.push(String(id));
      }
      const serving = ids[4];
      await knex('apps')
        .where({ name: 'agree' })
        .update({ current_deployment_id: serving });

      const app = await request(backend.server)
        .get('/api/slipway/apps/agree')
        .set(auth);
      expect(app.body.currentDeployment.id).toBe(serving);
      const offered: string[] = [];
      const imageCheck = expect.stringMatching(/Could not check the image/);
      for (const id of ids) {
        // The deployment as the UI receives it.
        const seen = await request(backend.server)
          .get(`/api/slipway/deployments/${id}`)
          .set(auth);
        expect(seen.status).toBe(200);
        const problem = rollbackProblem(
          seen.body,
          app.body.currentDeployment.id,
        );
        if (!problem) offered.push(id);
        const answer = await request(backend.server)
          .post('/api/slipway/apps/agree/rollback')
          .set(auth)
          .send({ toDeploymentId: id });
        const expected = problem
          ? { status: 409, message: problem }
          : { status: 503, message: imageCheck };
        expect({
          id,
          status: answer.status,
          message: answer.body.error?.message,
        }).toEqual({ id, ...expected });
      }
      // Only the deployment that served before the current one.
      expect(offered).toEqual([ids[0]]);
    } finally {
      await backend.stop();
    }
  });
});
