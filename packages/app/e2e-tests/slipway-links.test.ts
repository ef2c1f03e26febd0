/*
 * A stored `javascript:` link (an old row, or a producer that got past an
 * older Slipway) must neither run nor take the page down in a real browser.
 * The backend refuses such links now, so the event list is served by the
 * test itself.
 */
import { expect, test } from '@playwright/test';
import { signInAsGuest } from './signIn';

function event(id: number, title: string, link: string | null) {
  return {
    id: String(id),
    createdAt: new Date().toISOString(),
    vtid: 'UNSET',
    layer: 'UNSET',
    module: 'WORKFLOW',
    source: 'github.actions',
    kind: 'workflow_run',
    status: 'success',
    title,
    ref: 'main',
    link,
    repo: 'slipway-examples/orders-api',
    entityRef: null,
    meta: {},
  };
}

test('the Slipway console renders a stored javascript: link as inert text', async ({
  page,
}) => {
  test.setTimeout(300_000);
  const dialogs: string[] = [];
  const errors: string[] = [];
  page.on('dialog', dialog => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('pageerror', error => errors.push(error.message));
  await page.route(
    url => url.pathname === '/api/slipway/events',
    route =>
      route.fulfill({
        status: 200,
        contentType: 'application/json',
        body: JSON.stringify({
          items: [
            // eslint-disable-next-line no-script-url -- the hostile link under test
            event(2, 'E2E HOSTILE LINK', 'javascript:alert("pwned")'),
            event(1, 'E2E SAFE LINK', 'https://github.com/slipway-examples'),
          ],
        }),
      }),
  );

  await signInAsGuest(page);
  await page
    .getByRole('navigation', { name: 'sidebar nav' })
    .getByRole('link', { name: 'Slipway', exact: true })
    .click();
  await expect(page).toHaveURL(/\/slipway/);

  const hostile = page
    .getByTestId('oasis-event')
    .filter({ hasText: 'E2E HOSTILE LINK' });
  await expect(hostile).toBeVisible({ timeout: 60_000 });
  await expect(hostile.locator('a')).toHaveCount(0);
  await expect(
    page.getByRole('link', { name: 'E2E SAFE LINK' }),
  ).toHaveAttribute('href', 'https://github.com/slipway-examples');

  await hostile.getByText('E2E HOSTILE LINK').click();
  await expect(page.getByRole('status', { name: /Connection:/ })).toBeVisible();
  expect(dialogs).toEqual([]);
  expect(errors).toEqual([]);
  expect(await page.locator('a[href^="javascript:" i]').count()).toBe(0);
});
