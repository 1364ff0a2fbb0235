// Playwright drives Debian's Chromium (playwright never downloads a browser here) against the silo
// that run.sh started. One worker: the tests share one demo org and some of them change it.
import { defineConfig } from '@playwright/test';

const results = process.env.UI_RESULTS ?? '../../.flowstate/test-results';

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.mjs',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: true,
  timeout: 120_000,
  expect: { timeout: 20_000 },
  reporter: [['list'], ['json', { outputFile: `${results}/ui-report.json` }]],
  outputDir: `${results}/ui-artifacts`,
  use: {
    baseURL: process.env.FLOWSTATE_URL ?? 'http://127.0.0.1:5250',
    browserName: 'chromium',
    viewport: { width: 1280, height: 900 },
    actionTimeout: 20_000,
    navigationTimeout: 30_000,
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
             '--disable-component-update', '--disable-sync'],
    },
  },
});
