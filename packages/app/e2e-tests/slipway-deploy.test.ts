/*
 * The Deployments tab deploys the offline example app (a busybox site built
 * FROM scratch) with the real deploy engine and Docker, and its build log
 * streams live until the deployment is running.
 */
import { expect, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { signInAsGuest } from './signIn';
import { backend, guestToken } from './slipway-github';

const APP = 'hello-busybox';
const ENTITY_PATH = `/catalog/default/component/${APP}`;

/** A git repository with the example site, served as file://. */
function exampleRepo(): string {
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find(p =>
    fs.existsSync(p),
  );
  if (!busybox)
    throw new Error(
      'busybox-static is required (apt-get install busybox-static)',
    );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-e2e-app-'));
  fs.copyFileSync(busybox, path.join(dir, 'busybox'));
  fs.mkdirSync(path.join(dir, 'www'));
  fs.writeFileSync(
    path.join(dir, 'www', 'index.html'),
    `<h1>hello-busybox</h1><p>deployed by the Slipway e2e test at ${new Date().toISOString()}</p>\n`,
  );
  fs.writeFileSync(
    path.join(dir, 'Dockerfile'),
    [
      'FROM scratch',
      'COPY busybox /bin/busybox',
      'RUN ["/bin/busybox", "--install", "-s", "/bin"]',
      'COPY www /www',
      'EXPOSE 8080',
      'CMD ["/bin/busybox", "httpd", "-f", "-v", "-p", "8080", "-h", "/www"]',
      '',
    ].join('\n'),
  );
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 'Slipway e2e',
    GIT_AUTHOR_EMAIL: 'e2e@example.com',
    GIT_COMMITTER_NAME: 'Slipway e2e',
    GIT_COMMITTER_EMAIL: 'e2e@example.com',
  };
  for (const args of [
    ['init', '-q', '-b', 'main'],
    ['add', '-A'],
    ['commit', '-q', '-m', 'hello-busybox'],
  ]) {
    execFileSync('git', args, { cwd: dir, env });
  }
  return `file://${dir}`;
}

/**
 * Removes containers of the example app left by an earlier backend process:
 * the dev backend keeps its database in memory, so after a restart its
 * deployment ids start again and would collide with those container names.
 */
function removeLeftoverContainers() {
  try {
    const ids = execFileSync(
      'docker',
      ['ps', '-aq', '--filter', `label=slipway.app=${APP}`],
      { encoding: 'utf8' },
    )
      .split('\n')
      .filter(Boolean);
    if (ids.length > 0) execFileSync('docker', ['rm', '-f', ...ids]);
  } catch {
    // No docker CLI here: the backend's engine is all the test relies on.
  }
}

test('deploys the example app from the Deployments tab and streams its log until running', async ({
  page,
  request,
}, testInfo) => {
  test.setTimeout(420_000);
  removeLeftoverContainers();
  const token = await guestToken(request);
  const headers = { Authorization: `Bearer ${token}` };
  const app = {
    name: APP,
    repoUrl: exampleRepo(),
    ref: 'main',
    port: 8080,
    healthCheck: { path: '/', timeoutSeconds: 30, intervalSeconds: 1 },
    entityRef: `component:default/${APP}`,
  };
  // Register the app (its first deployment is queued) or point an existing
  // registration at this run's repository.
  const created = await request.post(`${backend}/api/slipway/apps`, {
    headers,
    data: app,
  });
  if (created.status() === 409) {
    const { name: _name, ...patch } = app;
    const updated = await request.patch(`${backend}/api/slipway/apps/${APP}`, {
      headers,
      data: patch,
    });
    expect(updated.ok(), await updated.text()).toBe(true);
  } else {
    expect(created.status(), await created.text()).toBe(201);
  }

  await signInAsGuest(page);
  await expect(async () => {
    await page.goto(ENTITY_PATH);
    await expect(page.getByRole('heading', { name: APP })).toBeVisible({
      timeout: 10_000,
    });
  }).toPass({ timeout: 120_000 });
  await page.getByRole('link', { name: 'Deployments', exact: true }).click();
  await expect(page).toHaveURL(/\/deployments$/);

  const deployButton = page.getByRole('button', {
    name: 'Deploy',
    exact: true,
  });
  await expect(deployButton).toBeVisible({ timeout: 60_000 });
  const rows = page.getByTestId('deployment-row');
  await expect(rows.first()).toBeVisible();
  const before = await rows.count();
  await deployButton.click();
  await expect(rows).toHaveCount(before + 1, { timeout: 10_000 });

  // The new deployment is selected and its log follows live.
  const logs = page.getByTestId('deployment-logs');
  await expect(
    page.getByRole('status', { name: 'Following logs live' }),
  ).toBeVisible({ timeout: 30_000 });
  // The viewer keeps the newest lines in view; any step's line proves the
  // stream is flowing.
  await expect(logs).toContainText(/\[(engine|source|build|run|health)\]/, {
    timeout: 120_000,
  });
  await testInfo.attach('deployments-tab-building', {
    body: await page.screenshot({ fullPage: true }),
    contentType: 'image/png',
  });

  await expect(rows.first()).toHaveAttribute('data-status', 'running', {
    timeout: 300_000,
  });
  // The log kept streaming through the health check, and following stops
  // once the deployment is done.
  await expect(logs).toContainText(/\[(health|switch)\]/, { timeout: 30_000 });
  await expect(
    page.getByRole('status', { name: 'Following logs live' }),
  ).toHaveCount(0, { timeout: 30_000 });
  await expect(rows.first()).toContainText('(serving)', { timeout: 10_000 });

  // The app answers on the published URL the tab links to.
  const url = await rows.first().getByRole('link').first().getAttribute('href');
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
  const served = await request.get(url!);
  expect(await served.text()).toContain('hello-busybox');

  await testInfo.attach('deployments-tab-running', {
    body: await page.screenshot({ fullPage: true }),
    contentType: 'image/png',
  });
});
