import { defineConfig } from '@playwright/test';

/**
 * End-to-end tests in Chromium against the real app and backend (SQLite,
 * guest sign-in), unless PLAYWRIGHT_URL points at a running instance.
 *
 * Locally the README's own `yarn start` serves them (app dev server on :3000).
 * In CI the production app bundle is built once and served by the backend on
 * :7107 (app-config.e2e.yaml): a dev server's first compile on a 2-core
 * machine takes minutes and makes page loads flaky. The port is not the quick
 * start's :7007, so a `yarn start` left running on the same machine does not
 * make the run fail with "already used".
 *
 * No browser is downloaded: the system Chromium is used
 * (SLIPWAY_CHROMIUM, default /usr/bin/chromium).
 */
const builtApp = Boolean(process.env.CI);
const backendURL = builtApp ? 'http://localhost:7107' : 'http://localhost:7007';
const baseURL =
  process.env.PLAYWRIGHT_URL ??
  (builtApp ? backendURL : 'http://localhost:3000');
// The tests call the backend's API directly too (e2e-tests/slipway-github.ts).
process.env.SLIPWAY_BACKEND_URL ??= backendURL;

/** Shared with the e2e tests, which sign webhook deliveries with it. */
export const E2E_WEBHOOK_SECRET =
  process.env.SLIPWAY_WEBHOOK_SECRET ?? 'slipway-e2e-webhook-secret';

export default defineConfig({
  testDir: 'packages/app/e2e-tests',
  timeout: 120_000,
  expect: { timeout: 30_000 },
  workers: 1,
  forbidOnly: !!process.env.CI,
  // No retries: a test that fails once is a flake to fix, not to hide.
  retries: 0,
  webServer: process.env.PLAYWRIGHT_URL
    ? []
    : [
        {
          command: builtApp
            ? 'yarn workspace app build && yarn workspace backend start --config ../../app-config.yaml --config ../../app-config.e2e.yaml'
            : 'yarn start',
          url: builtApp
            ? `${backendURL}/api/slipway/health`
            : 'http://localhost:3000',
          reuseExistingServer: !process.env.CI,
          timeout: 600_000,
          stdout: 'ignore',
          stderr: 'pipe',
          env: {
            SLIPWAY_WEBHOOK_SECRET: E2E_WEBHOOK_SECRET,
            // The dev server must not open a browser of its own.
            BROWSER: 'none',
          },
        },
      ],
  reporter: [
    ['list'],
    ['html', { open: 'never', outputFolder: 'e2e-test-report' }],
  ],
  use: {
    baseURL,
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.SLIPWAY_CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  outputDir: 'node_modules/.cache/e2e-test-results',
  projects: [{ name: 'chromium', use: { browserName: 'chromium' } }],
});
