// Providers: every provider's coverage state and last runs, the monitoring gaps, the four states explained.
import { expect, test } from '@playwright/test';
import { api, open } from './helpers.mjs';

// The app's formats: a time in UTC, a count, a lag.
const dateTime = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
const when = iso => `${dateTime.format(new Date(iso))} UTC`;
const count = n => n.toLocaleString('en-US');
const telemetry = `id name telemetryStatus { lastRun { at accepted duplicates rejected status errors }
  lastReceived { at accepted duplicates rejected } foldLagSeconds unfoldedItems }`;
const rowOf = (page, name) => page.getByRole('region', { name: 'Providers' }).getByRole('row')
  .filter({ has: page.getByRole('rowheader', { name: new RegExp(name.replace(/[()&]/g, '.')) }) });
const telemetryColumn = async page => (await page.getByRole('columnheader').allInnerTexts()).indexOf('Telemetry');

/** The Telemetry cell of a provider's row says what the API's telemetryStatus answers. */
async function expectTelemetryCell(page, p) {
  const cell = rowOf(page, p.name).getByRole('cell').nth((await telemetryColumn(page)) - 1);
  const { lastRun, lastReceived, foldLagSeconds, unfoldedItems } = p.telemetryStatus;
  if (!lastRun && !lastReceived) { await expect(cell).toHaveText('No telemetry yet'); return; }
  if (lastReceived) {
    await expect(cell).toContainText(`Received ${when(lastReceived.at)}`);
    await expect(cell).toContainText(`${count(lastReceived.accepted)} accepted · ${count(lastReceived.duplicates)} unchanged · ${count(lastReceived.rejected)} rejected`);
  }
  if (unfoldedItems > 0) await expect(cell).toContainText(new RegExp(`Folding: .+ behind, ${count(unfoldedItems)} items?`));
  else await expect(cell).toContainText('Folded: up to date');
  if (lastRun && lastRun.at !== lastReceived?.at) await expect(cell).toContainText(`Last batch ${when(lastRun.at)}`);
  else await expect(cell).not.toContainText('Last batch');
  return cell;
}

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

test('shows each feed\'s telemetry as the API answers it: last received, fold state, a refused last batch', async ({ page }) => {
  const { providers } = await api(`{ providers { ${telemetry} } }`);
  expect(providers.some(p => p.telemetryStatus.lastReceived)).toBe(true);
  await open(page, '/providers');
  await expect(page.getByRole('columnheader', { name: 'Telemetry' })).toBeVisible();
  for (const p of providers) await expectTelemetryCell(page, p);

  // A batch whose every item is refused is the feed's last run, failed; what was last received stays.
  const feed = providers.find(p => p.id === 'gemini') ?? providers.find(p => p.telemetryStatus.lastReceived);
  const refused = await api(`mutation($i: IngestSessionsInput!) { ingestSessions(input: $i) { accepted rejected { code } } }`, { i: { sessions: [
    { id: `ui-refused-${Date.now()}`, subject: 'nobody', providerId: feed.id, model: 'm', startedAt: new Date().toISOString(), inputTokens: -5, outputTokens: 1 },
  ] } });
  expect(refused.ingestSessions.accepted).toBe(0);
  const after = (await api(`{ providers { ${telemetry} } }`)).providers.find(p => p.id === feed.id);
  expect(after.telemetryStatus.lastRun.status).toBe('FAILED');
  expect(after.telemetryStatus.lastReceived).toEqual(feed.telemetryStatus.lastReceived);
  await page.reload();
  const cell = await expectTelemetryCell(page, after);
  await expect(cell).toContainText(`Last batch ${when(after.telemetryStatus.lastRun.at)} failed: 1 rejected`);
  await expect(cell).toContainText(after.telemetryStatus.lastRun.errors[0]);
});

test('a fold that is behind says by how long and how many items, and is watched until it catches up', async ({ page }) => {
  // The demo's fold keeps up within a second, so the API's answer is made to lag: the page shows
  // the answer it gets, and asks again while the fold is behind.
  let asked = 0;
  await page.route('**/graphql', async route => {
    const body = route.request().postDataJSON();
    if (body?.operationName !== 'Providers') return route.continue();
    const response = await route.fetch();
    const json = await response.json();
    asked += 1;
    const p = json.data.providers.find(x => x.telemetryStatus.lastReceived);
    if (asked === 1) Object.assign(p.telemetryStatus, { foldLagSeconds: 12.4, unfoldedItems: 3400 });
    await route.fulfill({ response, json });
  });
  const { providers } = await api(`{ providers { ${telemetry} } }`);
  const lagging = providers.find(x => x.telemetryStatus.lastReceived);
  await open(page, '/providers');
  const row = rowOf(page, lagging.name);
  await expect(row).toContainText('Folding: 12 s behind, 3,400 items');
  // The next answer has caught up: the page asked again on its own.
  await expect(row).toContainText('Folded: up to date', { timeout: 15_000 });
  expect(asked).toBeGreaterThanOrEqual(2);
});
