import { createTestDatabases, describeWithDocker } from '@slipway/test-utils';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import request from 'supertest';
import {
  auth,
  cleanupDocker,
  RUN,
  startBackend,
  testConfig,
  TestRepo,
  waitForDeployment,
} from './__testUtils__/testApps';

jest.setTimeout(300_000);

const databases = createTestDatabases();
const CAP = 64 * 1024;

/** Follows a deployment's log, reading nothing for `pauseMs` first. */
function followSlowly(port: number, id: string, pauseMs: number) {
  return new Promise<{ lines: any[]; ended: boolean }>((resolve, reject) => {
    const req = http.get(
      `http://127.0.0.1:${port}/api/slipway/deployments/${id}/logs?follow=true`,
      { headers: auth },
      res => {
        res.pause();
        let text = '';
        setTimeout(() => {
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.resume();
        }, pauseMs);
        res.on('end', () => {
          const blocks = text.split('\n\n').filter(Boolean);
          const lines = blocks
            .filter(b => b.includes('event: log'))
            .map(b => JSON.parse(b.split('data: ')[1]));
          resolve({ lines, ended: blocks.some(b => b.includes('event: end')) });
        });
      },
    );
    req.on('error', reject);
    req.setTimeout(60_000, () => req.destroy(new Error('follow timed out')));
  });
}

describeWithDocker('log cap per deployment', () => {
  const repo = new TestRepo();

  afterAll(async () => {
    await cleanupDocker();
    repo.remove();
  });

  it('keeps the end of a build log over the cap behind a marker, and a slow follower gets it whole', async () => {
    const backend = await startBackend(
      await databases.init('SQLITE_3'),
      testConfig({ logs: { maxBytesPerDeployment: CAP } }),
    );
    try {
      // About 300 kB of build output.
      repo.commit({
        body: 'chatty',
        dockerfileExtra: `RUN awk 'BEGIN { for (i = 0; i < 3000; i++) printf "line-%d-%s\\n", i, "${'a'.repeat(
          90,
        )}" }'`,
      });
      const created = await request(backend.server)
        .post('/api/slipway/apps')
        .set(auth)
        .send({
          name: `${RUN}-chatty`,
          repoUrl: repo.url,
          ref: 'main',
          port: 8080,
        });
      const done = await waitForDeployment(
        backend.server,
        created.body.deployment.id,
        s => ['running', 'failed'].includes(s),
      );
      expect(done.error ?? null).toBeNull();
      expect(done.status).toBe('running');

      const stored = await request(backend.server)
        .get(`/api/slipway/deployments/${done.id}/logs?limit=5000`)
        .set(auth);
      const lines: { step: string; line: string }[] = stored.body.items;
      const text = lines.map(l => l.line).join('\n');
      const bytes = lines.reduce((n, l) => n + Buffer.byteLength(l.line), 0);
      expect(bytes).toBeLessThanOrEqual(CAP + 1000);
      expect(lines[0].step).toBe('truncated');
      expect(lines[0].line).toMatch(
        /^\[slipway\] \d+ earlier lines \(\d+ bytes\) were dropped: .*slipway\.deploy\.logs\.maxBytesPerDeployment/,
      );
      expect(lines.filter(l => l.step === 'truncated')).toHaveLength(1);
      // The end is kept (the build's last line and the steps after it) ...
      expect(text).toContain('line-2999-');
      expect(text).toMatch(/Healthy/);
      // ... the beginning is gone.
      expect(text).not.toMatch(/line-0-a/);
      expect(text).not.toMatch(/Claimed by backend instance/);

      const port = (backend.server.address() as AddressInfo).port;
      const followed = await followSlowly(port, done.id, 1500);
      expect(followed.ended).toBe(true);
      expect(followed.lines.map(l => l.line)).toEqual(lines.map(l => l.line));
    } finally {
      await backend.stop();
    }
  });
});
