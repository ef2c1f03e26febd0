import { expect, test } from '@playwright/test';
import { signInAsGuest } from './signIn';

const backend = process.env.SLIPWAY_BACKEND_URL ?? 'http://localhost:7007';

test('guest sign-in shows the example entities in the catalog', async ({
  page,
}) => {
  test.setTimeout(300_000);
  await signInAsGuest(page);

  const nav = page.getByRole('navigation', { name: 'sidebar nav' });
  await expect(
    nav.getByRole('link', { name: 'Catalog', exact: true }),
  ).toBeVisible();
  await expect(
    nav.getByRole('link', { name: 'Slipway', exact: true }),
  ).toBeVisible();

  // The catalog ingests examples/ asynchronously after start-up.
  await expect(async () => {
    await page.reload();
    await expect(page.getByRole('link', { name: 'hello-busybox' })).toBeVisible(
      { timeout: 10_000 },
    );
  }).toPass({ timeout: 120_000 });
  await expect(page.getByRole('link', { name: 'orders-api' })).toBeVisible();
});

test('the Slipway health endpoint tells a caller without credentials only up or down', async ({
  request,
}) => {
  const response = await request.get(`${backend}/api/slipway/health`);
  expect(response.status()).toBe(200);
  const body = await response.json();
  // The engine endpoint, versions and errors are for signed-in callers
  // (the console page below shows them).
  expect(Object.keys(body)).toEqual(['status']);
  expect(['ok', 'degraded']).toContain(body.status);
});

test('the Slipway console page shows the backend health', async ({ page }) => {
  test.setTimeout(300_000);
  await signInAsGuest(page);
  await page
    .getByRole('navigation', { name: 'sidebar nav' })
    .getByRole('link', { name: 'Slipway', exact: true })
    .click();
  await expect(page).toHaveURL(/\/slipway/);
  await expect(page.getByText('Docker engine').first()).toBeVisible();
  await expect(page.getByText('Database').first()).toBeVisible();
});
