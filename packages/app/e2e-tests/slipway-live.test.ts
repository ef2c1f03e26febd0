/*
 * The CI/CD status card and the live feed tab update from signed GitHub
 * deliveries within 2 seconds, without a reload, against the real backend.
 */
import { expect, test } from '@playwright/test';
import { signInAsGuest } from './signIn';
import {
  deliver,
  examplePayload,
  forRepository,
  pushOf,
  unique,
} from './slipway-github';

const SLUG = 'slipway-examples/orders-api';
const ENTITY_PATH = '/catalog/default/component/orders-api';
/** The bound for "shows up live". */
const LIVE_MS = 2_000;

function workflowRun(
  name: string,
  runNumber: number,
  status: 'in_progress' | 'completed',
) {
  const payload = forRepository(
    examplePayload(
      'workflow_run',
      status === 'completed' ? 'completed' : undefined,
    ),
    SLUG,
  );
  payload.action = status;
  const run = payload.workflow_run;
  run.name = name;
  run.id = runNumber * 1000 + 7;
  // One workflow per test run: the card keeps the latest run per workflow.
  const workflowId = 100_000 + runNumber;
  run.workflow_id = workflowId;
  run.run_number = runNumber;
  run.run_attempt = 1;
  run.head_branch = 'main';
  run.status = status;
  run.conclusion = status === 'completed' ? 'success' : null;
  run.run_started_at = new Date(Date.now() - 95_000).toISOString();
  run.updated_at = new Date().toISOString();
  run.html_url = `https://github.com/${SLUG}/actions/runs/${run.id}`;
  payload.workflow = { ...payload.workflow, id: workflowId, name };
  return payload;
}

async function openEntity(page: import('@playwright/test').Page) {
  await signInAsGuest(page);
  // The catalog ingests examples/ asynchronously after start-up.
  await expect(async () => {
    await page.goto(ENTITY_PATH);
    await expect(page.getByRole('heading', { name: 'orders-api' })).toBeVisible(
      { timeout: 10_000 },
    );
  }).toPass({ timeout: 120_000 });
}

test('the CI/CD card follows signed workflow_run deliveries live', async ({
  page,
  request,
}, testInfo) => {
  test.setTimeout(300_000);
  await openEntity(page);
  const card = page
    .locator('.MuiCard-root')
    .filter({ has: page.getByText('CI/CD', { exact: true }) })
    .first();
  await expect(card).toBeVisible({ timeout: 60_000 });
  await expect(
    card.getByRole('status', { name: 'Connection: Live' }),
  ).toBeVisible({
    timeout: 30_000,
  });

  const run = unique();
  const workflow = `E2E CI ${run}`;
  await deliver(
    request,
    'workflow_run',
    workflowRun(workflow, run, 'in_progress'),
  );
  const row = card.getByTestId('workflow-run').filter({ hasText: workflow });
  await expect(row).toBeVisible({ timeout: LIVE_MS });
  await expect(row).toContainText('in progress', { timeout: LIVE_MS });

  await deliver(
    request,
    'workflow_run',
    workflowRun(workflow, run, 'completed'),
  );
  await expect(row).toContainText('success', { timeout: LIVE_MS });
  await expect(row).toContainText(`#${run}`);
  await expect(
    row.getByRole('link', { name: new RegExp(`^${workflow}`) }),
  ).toHaveAttribute('href', new RegExp(`/actions/runs/${run * 1000 + 7}$`));
  // The webhook is connected now, so the card shows no warning.
  await expect(card.getByText('GitHub webhook not connected')).toHaveCount(0, {
    timeout: LIVE_MS,
  });

  await testInfo.attach('cicd-status-card', {
    body: await card.screenshot(),
    contentType: 'image/png',
  });
});

test('the live feed tab shows new deliveries on top within 2 s and filters by VTID', async ({
  page,
  request,
}, testInfo) => {
  test.setTimeout(300_000);
  await openEntity(page);
  await page.getByRole('link', { name: 'Live feed', exact: true }).click();
  await expect(page).toHaveURL(/\/live-feed$/);
  await expect(
    page.getByRole('status', { name: 'Connection: Live' }),
  ).toBeVisible({ timeout: 30_000 });

  const vtid = `DEV-CICDL-${unique()}`;
  const pr = forRepository(examplePayload('pull_request', 'opened'), SLUG);
  pr.number = unique();
  pr.pull_request.number = pr.number;
  pr.pull_request.title = `${vtid} Add order export`;
  pr.pull_request.head.ref = `feature/${vtid.toLowerCase()}`;
  await deliver(request, 'pull_request', pr);

  const events = page.getByTestId('oasis-event');
  await expect(events.first()).toContainText(vtid, { timeout: LIVE_MS });

  const push = pushOf(SLUG, 'refs/heads/main', `${vtid} merge order export`);
  await deliver(request, 'push', push);
  await expect(events.first()).toContainText('push', { timeout: LIVE_MS });
  await expect(events.first()).toContainText(vtid);
  // Both arrived exactly once.
  await expect(events.filter({ hasText: vtid })).toHaveCount(2);

  // Server-side VTID filter: only this run's two events remain.
  await page.getByLabel('VTID').fill(vtid);
  await expect(events).toHaveCount(2);
  await expect(events.filter({ hasNotText: vtid })).toHaveCount(0);

  // Clearing the filter reloads the history; pause once that is done.
  const reloaded = page.waitForResponse(
    r => /\/api\/slipway\/events\?/.test(r.url()) && !r.url().includes('vtid='),
  );
  await page.getByLabel('VTID').fill('');
  await reloaded;
  await expect(
    page.getByRole('status', { name: 'Connection: Live' }),
  ).toBeVisible({ timeout: 30_000 });
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(
    page.getByRole('status', { name: 'Connection: Paused' }),
  ).toBeVisible();
  const held = workflowRun(`E2E held ${unique()}`, unique(), 'completed');
  await deliver(request, 'workflow_run', held);
  await expect(
    page.getByRole('button', { name: /Resume \(1 new\)/ }),
  ).toBeVisible({ timeout: LIVE_MS });
  await page.getByRole('button', { name: /Resume/ }).click();
  await expect(events.first()).toContainText(held.workflow_run.name, {
    timeout: LIVE_MS,
  });

  await testInfo.attach('live-feed', {
    body: await page.screenshot({ fullPage: true }),
    contentType: 'image/png',
  });
});

test('the Slipway console resumes after a dropped connection with no gap and no duplicate', async ({
  page,
  request,
}, testInfo) => {
  test.setTimeout(300_000);
  // The network drops the event stream: the first connection ends right after
  // it opens, and reconnects fail until the route is removed.
  const STREAM = '**/api/slipway/events/stream**';
  let streamRequests = 0;
  await page.route(STREAM, async route => {
    streamRequests += 1;
    if (streamRequests === 1) {
      await route.fulfill({
        status: 200,
        headers: { 'content-type': 'text/event-stream' },
        body: ': connected\n\n',
      });
    } else {
      await route.abort('connectionreset');
    }
  });

  await signInAsGuest(page);
  await page
    .getByRole('navigation', { name: 'sidebar nav' })
    .getByRole('link', { name: 'Slipway', exact: true })
    .click();
  await expect(page).toHaveURL(/\/slipway/);
  await expect(
    page.getByRole('status', { name: /Connection: Reconnecting/ }),
  ).toBeVisible({ timeout: 30_000 });
  const events = page.getByTestId('oasis-event');

  // Stored while the browser cannot reach the stream.
  const vtid = `DEV-CICDL-${unique()}`;
  const branch = `refs/heads/feature/${vtid.toLowerCase()}`;
  const missed = pushOf(SLUG, branch, `${vtid} while offline`);
  await deliver(request, 'push', missed);
  await expect(events.filter({ hasText: vtid })).toHaveCount(0);

  // The network is back: the next attempt resumes from the last event id it
  // saw, so the missed event arrives, once.
  await page.unroute(STREAM);
  await expect(
    page.getByRole('status', { name: 'Connection: Live' }),
  ).toBeVisible({ timeout: 60_000 });
  await expect(events.filter({ hasText: vtid })).toHaveCount(1, {
    timeout: 10_000,
  });

  // And live events keep coming after the resume.
  const after = pushOf(SLUG, branch, `${vtid} after resume`);
  await deliver(request, 'push', after);
  await expect(events.filter({ hasText: vtid })).toHaveCount(2, {
    timeout: LIVE_MS,
  });

  await testInfo.attach('slipway-console', {
    body: await page.screenshot({ fullPage: true }),
    contentType: 'image/png',
  });
});
