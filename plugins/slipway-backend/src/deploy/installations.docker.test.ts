import { createTestDatabases, describeWithDocker } from '@slipway/test-utils';
import request from 'supertest';
import {
  auth,
  cleanupDocker,
  docker,
  fetchText,
  RUN,
  startBackend,
  testConfig,
  TestRepo,
  waitForDeployment,
} from './__testUtils__/testApps';

jest.setTimeout(300_000);

const databases = createTestDatabases();

async function deployApp(server: any, name: string, repoUrl: string) {
  const created = await request(server)
    .post('/api/slipway/apps')
    .set(auth)
    .send({ name, repoUrl, ref: 'main', port: 8080 });
  expect(created.status).toBe(201);
  const running = await waitForDeployment(
    server,
    created.body.deployment.id,
    s => ['running', 'failed'].includes(s),
  );
  expect(running.error ?? null).toBeNull();
  return running;
}

describeWithDocker('two installations on one Docker engine', () => {
  const repo = new TestRepo();
  const other = `${RUN}x`;

  afterAll(async () => {
    await cleanupDocker();
    const images = await docker.listImages({
      filters: JSON.stringify({ reference: [`slipway-${other}--*`] }),
    });
    for (const image of images) {
      await docker
        .getImage(image.Id)
        .remove({ force: true })
        .catch(() => {});
    }
    repo.remove();
  });

  it('keeps each installation to its own containers, images and networks', async () => {
    const name = `${RUN}-twin`;
    repo.commit({ body: 'twin' });
    const a = await startBackend(
      await databases.init('SQLITE_3'),
      testConfig({ keepImages: 0 }),
    );
    const b = await startBackend(
      await databases.init('SQLITE_3'),
      testConfig({ installationId: other, keepImages: 0 }),
    );
    try {
      const inA = await deployApp(a.server, name, repo.url);
      const inB = await deployApp(b.server, name, repo.url);
      // Same app name and deployment id, different objects.
      expect(inA.id).toBe(inB.id);
      expect(inA.imageTag).toBe(`slipway-${name}:${inA.id}`);
      expect(inB.imageTag).toBe(`slipway-${other}--${name}:${inB.id}`);
      const cB = await docker.getContainer(inB.containerId).inspect();
      expect(cB.Name).toBe(`/${other}--${name}-${inB.id}`);
      expect(cB.Config.Labels['slipway.installation']).toBe(other);
      expect(cB.HostConfig.NetworkMode).toBe(`slipway-${other}--${name}`);
      expect(
        Object.keys(cB.Config.Labels).filter(k =>
          k.startsWith('traefik.http.routers.'),
        ),
      ).toEqual([`traefik.http.routers.${other}--${name}.rule`]);

      // A second deployment in B prunes B's old image only (keepImages 0).
      repo.commit({ body: 'twin v2' });
      const again = await request(b.server)
        .post(`/api/slipway/apps/${name}/deployments`)
        .set(auth)
        .send({ ref: 'main' });
      const v2 = await waitForDeployment(b.server, again.body.id, s =>
        ['running', 'failed'].includes(s),
      );
      expect(v2.status).toBe('running');
      await docker.getImage(inA.imageTag).inspect();

      // Deleting the app in B leaves A's container, image and network.
      const deleted = await request(b.server)
        .delete(`/api/slipway/apps/${name}`)
        .set(auth);
      expect(deleted.status).toBe(204);
      const stillA = await docker.getContainer(inA.containerId).inspect();
      expect(stillA.State.Running).toBe(true);
      expect(await fetchText(inA.url)).toBe('twin');
      await docker.getImage(inA.imageTag).inspect();
      await docker.getNetwork(`slipway-${name}`).inspect();
      await expect(
        docker.getContainer(inB.containerId).inspect(),
      ).rejects.toMatchObject({ statusCode: 404 });
      await expect(
        docker.getNetwork(`slipway-${other}--${name}`).inspect(),
      ).rejects.toMatchObject({ statusCode: 404 });
    } finally {
      await b.stop();
      await a.stop();
    }
  });
});
