import { expect, Page } from '@playwright/test';

/**
 * Opens the app and signs in as the guest user. Locally the first visit
 * waits for the dev server's first bundle, hence the long timeout.
 */
export async function signInAsGuest(page: Page, path = '/') {
  await page.goto(path);
  const enter = page.getByRole('button', { name: 'Enter' });
  await expect(enter).toBeVisible({ timeout: 180_000 });
  await enter.click();
  await expect(
    page
      .getByRole('navigation', { name: 'sidebar nav' })
      .getByRole('link', { name: 'Catalog', exact: true }),
  ).toBeVisible({ timeout: 60_000 });
}
