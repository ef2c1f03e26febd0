#!/usr/bin/env node
/*
 * The browser step of the adoption check (.ci/adoption.sh): in Chromium, a
 * fresh Backstage app with the Slipway packages installed by the README's
 * steps shows, on an entity that names a GitHub repository, the CI/CD card
 * and the "Live feed" tab, and the tab opens the feed. Screenshots of both go
 * to the work folder.
 *
 *   node .ci/adoption-browser.mjs <base URL> <entity path> <screenshot dir>
 *
 * Uses the system Chromium (SLIPWAY_CHROMIUM, default /usr/bin/chromium); no
 * browser is downloaded. Exits non-zero, naming what was missing, when a
 * step fails.
 */
import { chromium } from '@playwright/test';
import path from 'node:path';

const [base, entityPath, shots] = process.argv.slice(2);
if (!base || !entityPath || !shots) {
  console.error(
    'usage: node .ci/adoption-browser.mjs <base URL> <entity path> <dir>',
  );
  process.exit(2);
}

const step = text => console.log(`[adoption:browser] ${text}`);

const browser = await chromium.launch({
  executablePath: process.env.SLIPWAY_CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
let failed = false;
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
const pageErrors = [];
page.on('pageerror', error => pageErrors.push(error.message));
try {
  step(`open ${base}${entityPath}`);
  await page.goto(`${base}${entityPath}`, { timeout: 120_000 });
  // create-app's sign-in page offers the guest provider.
  const enter = page.getByRole('button', { name: 'Enter' });
  await enter.waitFor({ state: 'visible', timeout: 120_000 });
  await enter.click();
  step('signed in as guest');

  // The catalog ingests the example entity from its file location a little
  // after the backend answers; until then the page says "Entity not found"
  // and does not ask again. Reload until the catalog has it (bounded).
  const card = page.getByText('CI/CD', { exact: true }).first();
  const missing = page.getByText('Entity not found').first();
  for (let attempt = 1; ; attempt++) {
    await card
      .or(missing)
      .or(enter)
      .first()
      .waitFor({ state: 'visible', timeout: 90_000 });
    if (await card.isVisible()) break;
    if (attempt === 60) {
      throw new Error(
        'the catalog still lacks the example entity after 60 reloads',
      );
    }
    if (await enter.isVisible()) {
      // A reload may show the sign-in page while the stored guest session
      // signs in by itself and replaces the button: a click that finds no
      // button is fine, the next turn looks again.
      await enter.click({ timeout: 5_000 }).catch(() => undefined);
      continue;
    }
    await page.waitForTimeout(2000);
    await page.reload();
  }
  // Loaded from the backend: a repository that never sent a delivery gets
  // the card's "not connected" state, not its error panel.
  const notConnected = page.getByText('GitHub webhook not connected').first();
  await notConnected.waitFor({ state: 'visible', timeout: 60_000 });
  step('the CI/CD card is on the entity page, loaded from the backend');
  await notConnected.scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(shots, 'adoption-overview.png') });

  const tab = page
    .getByRole('tab', { name: 'Live feed' })
    .or(page.getByRole('link', { name: 'Live feed', exact: true }))
    .first();
  await tab.waitFor({ state: 'visible', timeout: 30_000 });
  await tab.click();
  await page.waitForURL(/\/live-feed$/, { timeout: 30_000 });
  // The feed reached the backend: its empty state or its events, not an
  // error panel.
  await page
    .getByText(/No events match\.|CICDL-/)
    .first()
    .waitFor({ state: 'visible', timeout: 60_000 });
  step('the Live feed tab opens the feed');
  await page.screenshot({ path: path.join(shots, 'adoption-live-feed.png') });
} catch (error) {
  failed = true;
  console.error(`[adoption:browser] failed: ${error.message.split('\n')[0]}`);
  if (pageErrors.length) {
    console.error(`[adoption:browser] page errors: ${pageErrors.join(' | ')}`);
  }
  await page
    .screenshot({ path: path.join(shots, 'adoption-failure.png') })
    .catch(() => undefined);
  console.error(
    `[adoption:browser] screenshot: ${path.join(
      shots,
      'adoption-failure.png',
    )}`,
  );
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
