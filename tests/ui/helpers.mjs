// What the UI tests share: the API as a second opinion, the app's formats, screenshots.
import { mkdirSync } from 'node:fs';
import { expect } from '@playwright/test';

export const base = process.env.FLOWSTATE_URL ?? 'http://127.0.0.1:5250';
/** An admin token of the demo org when the silo signs requests in (run.sh mints it), else none. */
export const token = process.env.FLOWSTATE_TOKEN || '';
/** A token for another role (FLOWSTATE_TOKEN_<ROLE>, minted by run.sh), or '' on a server without sign-in. */
export const tokenFor = role => process.env[`FLOWSTATE_TOKEN_${role.toUpperCase()}`] || '';

/** Opens a view of the app signed in with `as` (the admin token by default), through the sign-in link. */
export function open(page, path, as = token) {
  return page.goto(as ? `${path}#token=${encodeURIComponent(as)}` : path);
}
export const shots = `${process.env.UI_RESULTS ?? '../../.flowstate/test-results'}/ui`;
mkdirSync(shots, { recursive: true });

/** A GraphQL call straight to the API (what the page should agree with). */
export async function api(query, variables = {}) {
  const res = await fetch(`${base}/graphql`, {
    method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (body.errors) throw new Error(`API: ${JSON.stringify(body.errors)}`);
  return body.data;
}

const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
/** Money as the app shows it (from the exact decimal string). */
export const money = v => usd.format(v);

export const statusLabel = {
  UNRECONCILED: 'Unreconciled', SUGGESTED: 'Suggested', AUTO_MATCHED: 'Auto-matched',
  CONFIRMED: 'Confirmed', WRITTEN_OFF: 'Written off', DEFERRED: 'Deferred',
};

/** The latest month (this one or up to five before) whose inbox has rows: the demo bills past months. */
export async function monthWithRows() {
  const now = new Date();
  for (let back = 0; back < 6; back++) {
    const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 1));
    const period = d.toISOString().slice(0, 7);
    const data = await api('query($p: String!) { reconciliation(period: $p) { summary { rowCount } } }', { p: period });
    if (data.reconciliation.summary.rowCount > 0) return period;
  }
  throw new Error('the demo has no month with billing rows');
}

export const inbox = period => api(`query($p: String!) { reconciliation(period: $p) {
  summary { billed observed writtenOff residual rowCount } buckets { status count amount } } }`, { p: period });

/** The summary row at the foot of the inbox agrees with the API's period summary. */
export async function expectSummaryMatchesApi(page, period) {
  const { summary } = (await inbox(period)).reconciliation;
  const foot = page.locator('tfoot');
  await expect(foot.getByRole('cell', { name: /^Billed/ })).toHaveText(`Billed ${money(summary.billed)}`);
  await expect(foot.getByRole('cell', { name: /^Observed/ })).toHaveText(`Observed ${money(summary.observed)}`);
  await expect(foot.getByRole('cell', { name: /^Written off/ })).toHaveText(`Written off ${money(summary.writtenOff)}`);
  await expect(foot.getByRole('cell', { name: /^Residual/ })).toContainText(`Residual ${money(summary.residual)}`);
  return summary;
}

/** The inbox row of a billing row, found by its external id. */
export const rowOf = (page, externalId) => page.getByRole('row').filter({ has: page.getByText(externalId, { exact: true }) });

/** Saves the page at both widths the app is laid out for. */
export async function screenshotBothWidths(page, name) {
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
    await page.waitForTimeout(150);
    await page.screenshot({ path: `${shots}/${name}-${width}.png`, fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}
