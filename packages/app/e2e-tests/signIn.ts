import { expect, Page } from '@playwright/test';

/**
 * Opens the app and signs in as the guest user. The first visit after
 * start-up waits for the dev server's first bundle, which takes a while on a
 * small machine, hence the long timeout.
 */
export async function signInAsGuest(page: Page, path = '/') {
  await page.goto(path);
  const enter = page.getByRole('button', { name: 'Enter' });
  await expect(enter).toBeVisible({ timeout: 180_000 });
  await enter.click();
  await expect(
    page.getByRole('navigation', { name: 'sidebar nav' }),
  ).toBeVisible({ timeout: 60_000 });
}
