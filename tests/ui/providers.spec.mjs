// Providers: every provider's coverage state and last runs, the monitoring gaps, the four states explained.
import { expect, test } from '@playwright/test';
import { api, open } from './helpers.mjs';

const label = { BILLING_AND_TELEMETRY: 'Billing and telemetry', BILLING_ONLY: 'Billing only', TELEMETRY_ONLY: 'Telemetry only', NOT_MONITORED: 'Not monitored' };

test('shows each provider with its coverage, its gaps, and what the four coverage states mean', async ({ page }) => {
  const { providers } = await api('{ providers { id name coverage lastBillingPull { at } integration { kind } } }');
  await open(page, '/providers');
  const table = page.getByRole('region', { name: 'Providers' });
  for (const p of providers) {
    const row = table.getByRole('row').filter({ has: page.getByRole('rowheader', { name: new RegExp(p.name.replace(/[()&]/g, '.')) }) });
    await expect(row).toContainText(label[p.coverage]);
    if (!p.lastBillingPull) await expect(row).toContainText('No billing pull yet');
    if (p.integration?.kind) await expect(row).toContainText(/Last run (Succeeded|Partial|Failed|Running)/);
    else await expect(row).toContainText('No connector');
  }
  const gaps = page.getByRole('region', { name: 'Monitoring gaps' });
  for (const p of providers.filter(x => x.coverage !== 'BILLING_AND_TELEMETRY')) await expect(gaps).toContainText(p.name);
  const states = page.getByRole('region', { name: 'The four coverage states' });
  for (const l of Object.values(label)) await expect(states.getByRole('term').filter({ hasText: l })).toBeVisible();
});
