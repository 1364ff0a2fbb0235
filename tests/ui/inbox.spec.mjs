// The reconciliation inbox: chips, row actions with their dialogs, the summary row against the API,
// failures beside the row, live updates from another browser, and the empty states.
import { expect, test } from '@playwright/test';
import { api, expectSummaryMatchesApi, inbox, money, monthWithRows, rowOf, statusLabel, open } from './helpers.mjs';

test.describe.configure({ mode: 'serial' });
let month;
test.beforeAll(async () => { month = await monthWithRows(); });

const rowsOf = (period, statuses, first = 50) => api(`query($p: String!, $s: [RowStatus!], $f: Int) {
  reconciliation(period: $p, statuses: $s, first: $f) { rows { totalCount edges { node { id externalId status version availableActions } } } } }`,
  { p: period, s: statuses, f: first }).then(d => d.reconciliation.rows);

/** Mark → Write off… on a row: the write-off dialog. */
async function openWriteOff(page, row) {
  await row.getByRole('button', { name: 'Mark' }).click();
  await page.getByRole('menuitem', { name: 'Write off…' }).click();
  return page.getByRole('dialog', { name: 'Write off row' });
}

test('opens on unreconciled, with six chips named with their bucket and count', async ({ page }) => {
  const { buckets } = (await inbox(month)).reconciliation;
  await open(page, `/reconciliation/${month}`);
  for (const b of buckets) {
    const chip = page.getByRole('button', { name: `${statusLabel[b.status]} ${b.count}`, exact: true });
    await expect(chip).toBeVisible();
    await expect(chip).toHaveAttribute('aria-pressed', b.status === 'UNRECONCILED' ? 'true' : 'false');
  }
  const unreconciled = await rowsOf(month, ['UNRECONCILED']);
  await expect(page.locator('tbody .badge')).toHaveCount(Math.min(unreconciled.totalCount, 50));
  await expect(page.locator('tbody .badge', { hasText: 'Suggested' })).toHaveCount(0);

  const suggested = buckets.find(b => b.status === 'SUGGESTED');
  await page.getByRole('button', { name: `Suggested ${suggested.count}`, exact: true }).click();
  await expect(page).toHaveURL(/status=UNRECONCILED%2CSUGGESTED|status=UNRECONCILED,SUGGESTED/);
  await expect(page.getByRole('button', { name: `Suggested ${suggested.count}`, exact: true })).toHaveAttribute('aria-pressed', 'true');
  await expect(page.locator('tbody .badge', { hasText: 'Suggested' }).first()).toBeVisible();
  await page.goBack();
  await expect(page.getByRole('button', { name: `Suggested ${suggested.count}`, exact: true })).toHaveAttribute('aria-pressed', 'false');
  await expectSummaryMatchesApi(page, month);
});

test('Match confirms a row; the row re-renders, keeps focus, and the summary and chips follow the API', async ({ page }) => {
  const target = (await rowsOf(month, ['SUGGESTED'])).edges[0].node;
  await open(page, `/reconciliation/${month}?status=SUGGESTED`);
  const row = rowOf(page, target.externalId);
  await row.getByRole('button', { name: 'Match' }).click();
  await expect(row.locator('.badge')).toHaveText('Confirmed');
  await expect(row).toBeFocused();
  await expect(row.getByRole('button', { name: 'Reopen' })).toBeVisible();
  expect((await api('query($id: ID!) { billingRow(id: $id) { status } }', { id: target.id })).billingRow.status).toBe('CONFIRMED');
  await expectSummaryMatchesApi(page, month);
  const { buckets } = (await inbox(month)).reconciliation;
  const confirmed = buckets.find(b => b.status === 'CONFIRMED');
  await expect(page.getByRole('button', { name: `Confirmed ${confirmed.count}`, exact: true })).toBeVisible();
});

test('Mark → Write off needs a note, then writes the row off; Reopen takes it back with a reason', async ({ page }) => {
  const target = (await rowsOf(month, ['UNRECONCILED'])).edges[0].node;
  await open(page, `/reconciliation/${month}`);
  const row = rowOf(page, target.externalId);
  const dialog = await openWriteOff(page, row);
  const note = dialog.getByRole('textbox', { name: /Note/ });
  const submit = dialog.getByRole('button', { name: 'Write off' });
  await expect(note).toBeFocused();
  await expect(submit).toBeDisabled();
  await note.fill('   ');
  await expect(submit).toBeDisabled();
  await note.fill('Trial seat, no usage expected');
  await expect(submit).toBeEnabled();
  await submit.click();
  await expect(dialog).toBeHidden();
  await expect(row.locator('.badge')).toHaveText('Written off');
  await expect(row).toBeFocused();
  const after = (await api('query($id: ID!) { billingRow(id: $id) { status note } }', { id: target.id })).billingRow;
  expect(after).toEqual({ status: 'WRITTEN_OFF', note: 'Trial seat, no usage expected' });
  const summary = await expectSummaryMatchesApi(page, month);
  expect(Number(summary.writtenOff)).toBeGreaterThan(0);

  await row.getByRole('button', { name: 'Reopen' }).click();
  const reopen = page.getByRole('dialog', { name: 'Reopen row' });
  await expect(reopen.getByRole('button', { name: 'Reopen' })).toBeDisabled();
  await reopen.getByRole('textbox', { name: /Note/ }).fill('Seat was used after all');
  await reopen.getByRole('button', { name: 'Reopen' }).click();
  await expect(reopen).toBeHidden();
  await expect(row.locator('.badge')).toHaveText('Unreconciled');
  await expect(row).toBeFocused();
  await row.getByRole('button', { name: /Audit trail/ }).click();
  await expect(row.locator('xpath=following-sibling::tr[1]')).toContainText('Seat was used after all');
  await expectSummaryMatchesApi(page, month);
});

test('Mark → Defer moves the row on to the next month', async ({ page }) => {
  const target = (await rowsOf(month, ['UNRECONCILED'])).edges[1].node;
  await open(page, `/reconciliation/${month}`);
  const row = rowOf(page, target.externalId);
  await row.getByRole('button', { name: 'Mark' }).click();
  await page.getByRole('menuitem', { name: /^Defer/ }).click();
  const after = (await api('query($id: ID!) { billingRow(id: $id) { status period deferredTo } }', { id: target.id })).billingRow;
  expect(after.period !== month || after.status === 'DEFERRED').toBe(true);
  await expect(row.locator('.badge')).toHaveText(statusLabel[after.status]);
  await expect(row).toBeFocused();
  await expectSummaryMatchesApi(page, month);
});

test('Undefer brings a row waiting for next month back before it leaves', async ({ page }) => {
  const waiting = (await rowsOf(month, ['DEFERRED'])).edges.find(e => e.node.availableActions.includes('UNDEFER'))?.node;
  expect(waiting, 'the row deferred above waits in this (open) month').toBeTruthy();
  await open(page, `/reconciliation/${month}?status=DEFERRED`);
  const row = rowOf(page, waiting.externalId);
  await row.getByRole('button', { name: 'Undefer' }).click();
  await expect(row.locator('.badge')).not.toHaveText('Deferred');
  const after = (await api('query($id: ID!) { billingRow(id: $id) { status period deferredTo } }', { id: waiting.id })).billingRow;
  expect(after).toMatchObject({ period: month, deferredTo: null });
  expect(after.status).not.toBe('DEFERRED');
  await expect(row).toBeFocused();
  await expectSummaryMatchesApi(page, month);
});

test('Confirm… confirms a row of a provider without telemetry against the contract, with a required note', async ({ page }) => {
  const { reconciliation } = await api(`query($p: String!) { reconciliation(period: $p, provider: "gong", statuses: [UNRECONCILED], first: 5) {
    rows { edges { node { id externalId availableActions } } } } }`, { p: month });
  const target = reconciliation.rows.edges.map(e => e.node).find(n => n.availableActions.includes('CONFIRM'));
  expect(target, 'the demo bills Gong (no telemetry) every month').toBeTruthy();
  await open(page, `/reconciliation/${month}?provider=gong`);
  const row = rowOf(page, target.externalId);
  await row.getByRole('button', { name: 'Confirm…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Confirm against the contract' });
  const submit = dialog.getByRole('button', { name: 'Confirm' });
  await expect(submit).toBeDisabled();
  await dialog.getByRole('textbox', { name: /Note/ }).fill('Retainer per the 2026 order form');
  await submit.click();
  await expect(dialog).toBeHidden();
  await expect(row.locator('.badge')).toHaveText('Confirmed');
  await expect(row).toBeFocused();
  const after = (await api('query($id: ID!) { billingRow(id: $id) { status note observedCostUsd totalCostUsd } }', { id: target.id })).billingRow;
  expect(after).toMatchObject({ status: 'CONFIRMED', note: 'Retainer per the 2026 order form', observedCostUsd: after.totalCostUsd });
});

test('the residual by cause lists what the API says, adding up to the residual', async ({ page }) => {
  const { reconciliation } = await api(`query($p: String!) { reconciliation(period: $p) { summary { residual residualByCause { cause amount rows } } } }`, { p: month });
  await open(page, `/reconciliation/${month}`);
  const causes = page.locator('details.causes');
  await causes.locator('summary').click();
  const shown = reconciliation.summary.residualByCause.filter(c => c.amount !== '0' || c.rows > 0);
  await expect(causes.getByRole('row')).toHaveCount(shown.length + 1);
  for (const c of shown) await expect(causes.getByRole('row').filter({ hasText: money(c.amount) }).first()).toBeVisible();
  await expect(causes.locator('summary')).toContainText(money(reconciliation.summary.residual));
  await expect(page.getByRole('link', { name: /confirmed ledger \(FOCUS/ })).toHaveAttribute('href', `/exports/focus?period=${month}`);
});

test('a change someone else made is refused as a version conflict: the row reloads and says so', async ({ page }) => {
  const target = (await rowsOf(month, ['SUGGESTED'])).edges[0].node;
  // Hold back this page's live events, so it still shows the version it had before the other change.
  let holdEvents = false;
  await page.routeWebSocket(/\/graphql$/, ws => {
    const server = ws.connectToServer();
    ws.onMessage(m => server.send(m));
    server.onMessage(m => { if (!holdEvents || !String(m).includes('"next"')) ws.send(m); });
  });
  await open(page, `/reconciliation/${month}?status=SUGGESTED`);
  const row = rowOf(page, target.externalId);
  await expect(row.getByRole('button', { name: 'Match' })).toBeVisible();
  holdEvents = true;
  await api('mutation($id: ID!, $v: Int) { applyRowAction(input: { rowId: $id, action: DEFER, expectedVersion: $v }) { row { status } } }',
    { id: target.id, v: target.version });
  const before = await page.locator('tfoot').innerText();
  await row.getByRole('button', { name: 'Match' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'Someone else changed this row' })).toBeVisible();
  const now = (await api('query($id: ID!) { billingRow(id: $id) { status } }', { id: target.id })).billingRow;
  expect(now.status).not.toBe('CONFIRMED');
  await expect(row.getByRole('button', { name: 'Match' })).toHaveCount(0);
  expect(await page.locator('tfoot').innerText()).toBe(before);
});

test('a change made in another browser arrives live: the row, the chips and the summary', async ({ page, browser }) => {
  const target = (await rowsOf(month, ['SUGGESTED'])).edges[0].node;
  await open(page, `/reconciliation/${month}?status=SUGGESTED`);
  const watched = rowOf(page, target.externalId);
  await expect(watched.locator('.badge')).toHaveText('Suggested');

  const other = await browser.newContext();
  const otherPage = await other.newPage();
  await open(otherPage, `/reconciliation/${month}?status=SUGGESTED`);
  await rowOf(otherPage, target.externalId).getByRole('button', { name: 'Match' }).click();
  await expect(rowOf(otherPage, target.externalId).locator('.badge')).toHaveText('Confirmed');
  await other.close();

  await expect(watched.locator('.badge')).toHaveText('Confirmed');
  await expectSummaryMatchesApi(page, month);
  const { buckets } = (await inbox(month)).reconciliation;
  for (const b of buckets) await expect(page.getByRole('button', { name: `${statusLabel[b.status]} ${b.count}`, exact: true })).toBeVisible();
});

test('while the API is unreachable a banner says so and retries; a half-typed note is kept', async ({ page, context }) => {
  const target = (await rowsOf(month, ['UNRECONCILED'])).edges[0].node;
  await open(page, `/reconciliation/${month}`);
  const row = rowOf(page, target.externalId);
  const dialog = await openWriteOff(page, row);
  await dialog.getByRole('textbox', { name: /Note/ }).fill('Duplicate of an invoice line');

  await context.setOffline(true);
  await dialog.getByRole('button', { name: 'Write off' }).click();
  await expect(dialog.getByRole('alert')).toContainText('could not be reached');
  await expect(dialog.getByRole('textbox', { name: /Note/ })).toHaveValue('Duplicate of an invoice line');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(row).toBeFocused();
  await page.getByRole('button', { name: /^Suggested / }).click();
  await expect(page.getByText('Flowstate can’t be reached')).toBeVisible();
  expect((await api('query($id: ID!) { billingRow(id: $id) { status } }', { id: target.id })).billingRow.status).toBe('UNRECONCILED');

  await context.setOffline(false);
  await expect(page.getByText('Flowstate can’t be reached')).toBeHidden({ timeout: 30_000 });
  await expect(page.locator('tbody .badge', { hasText: 'Suggested' }).first()).toBeVisible();
  await page.getByRole('button', { name: /^Suggested / }).click();
  const again = await openWriteOff(page, row);
  await expect(again.getByRole('textbox', { name: /Note/ })).toHaveValue('Duplicate of an invoice line');
  await again.getByRole('button', { name: 'Write off' }).click();
  await expect(row.locator('.badge')).toHaveText('Written off');
});

test('the empty state tells a cleared bucket from a month whose bill has not arrived', async ({ page }) => {
  const { buckets } = (await inbox(month)).reconciliation;
  const emptyBucket = buckets.find(b => b.count === 0);
  if (emptyBucket) {
    await open(page, `/reconciliation/${month}?status=${emptyBucket.status}`);
    await expect(page.getByRole('heading', { name: 'All clear' })).toBeVisible();
  }
  const [y, m] = month.split('-').map(Number);
  const later = new Date(Date.UTC(y, m + 1, 1)).toISOString().slice(0, 7); // two months on: no bill yet
  await open(page, `/reconciliation/${later}`);
  await expect(page.getByRole('heading', { name: /No bill for .* yet/ })).toBeVisible();
  await page.getByRole('link', { name: 'See providers and their billing pulls' }).click();
  await expect(page).toHaveURL(/\/providers$/);
  await expect(page.getByRole('heading', { name: 'Providers', level: 1 })).toBeVisible();
  await page.goBack();
  await expect(page.getByRole('heading', { name: /No bill for .* yet/ })).toBeVisible();
  await page.getByRole('button', { name: 'Previous month' }).click();
  await page.getByRole('button', { name: 'Previous month' }).click();
  await expect(page).toHaveURL(new RegExp(`/reconciliation/${month}`));
  await expect(page.getByRole('heading', { name: /^Reconciliation/ })).toBeVisible();
});

