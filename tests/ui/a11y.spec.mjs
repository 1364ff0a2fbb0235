// Every page scanned by axe (WCAG 2.1 A/AA rules): no serious or critical violation, at both widths;
// and a screenshot of each at 1280 and 390 px under .flowstate/test-results/ui/.
import { expect, test } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { api, monthWithRows, screenshotBothWidths, open } from './helpers.mjs';

async function expectNoSeriousViolations(page, name) {
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    const serious = violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
      .map(v => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`);
    expect(serious, `${name} at ${width} px`).toEqual([]);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

let month, sessionId, personId;
test.beforeAll(async () => {
  month = await monthWithRows();
  const { sessions } = await api('{ sessions(first: 1) { edges { node { id person { id } } } } }');
  sessionId = sessions.edges[0].node.id;
  personId = sessions.edges[0].node.person.id;
});

const pages = [
  ['inbox', () => `/reconciliation/${month}?status=all`, p => p.getByRole('button', { name: /^Unreconciled \d/ })],
  ['attribution', () => '/attribution', p => p.getByTestId('total')],
  ['attribution-usage', () => '/attribution?tab=usage', p => p.locator('figcaption', { hasText: 'Top spenders' })],
  ['attribution-adoption', () => '/attribution?tab=adoption', p => p.locator('figcaption', { hasText: 'Telemetry coverage by team' })],
  ['session', () => `/attribution/sessions/${encodeURIComponent(sessionId)}`, p => p.getByRole('heading', { name: 'Cost and tokens' })],
  ['my-usage', () => `/me?person=${personId}`, p => p.getByRole('tab', { name: /^Unmatched/ })],
  ['providers', () => '/providers', p => p.getByRole('heading', { name: 'Monitoring gaps' })],
];

for (const [name, url, ready] of pages) {
  test(`${name}: no serious or critical axe violations; screenshots at 1280 and 390 px`, async ({ page }) => {
    await open(page, url());
    await expect(ready(page)).toBeVisible();
    await page.waitForLoadState('networkidle').catch(() => undefined);
    await expectNoSeriousViolations(page, name);
    await screenshotBothWidths(page, name);
  });
}

test('the write-off dialog: no serious or critical axe violations; screenshots', async ({ page }) => {
  await open(page, `/reconciliation/${month}`);
  await page.getByRole('button', { name: 'Mark' }).first().click();
  await page.getByRole('menuitem', { name: 'Write off…' }).click();
  await expect(page.getByRole('dialog', { name: 'Write off row' })).toBeVisible();
  await expectNoSeriousViolations(page, 'write-off dialog');
  await screenshotBothWidths(page, 'inbox-write-off-dialog');
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toBeHidden();
});

test('everything in the inbox is reachable by keyboard: chips, Mark menu, dialog, and focus back on the row', async ({ page }) => {
  await open(page, `/reconciliation/${month}`);
  await expect(page.getByRole('button', { name: /^Unreconciled \d/ })).toBeVisible();
  await page.getByRole('button', { name: /^Suggested \d/ }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('button', { name: /^Suggested \d/ })).toHaveAttribute('aria-pressed', 'true');
  await page.keyboard.press('Space');
  await expect(page.getByRole('button', { name: /^Suggested \d/ })).toHaveAttribute('aria-pressed', 'false');
  const mark = page.getByRole('button', { name: 'Mark' }).first();
  const row = page.getByRole('row').filter({ has: mark }).first();
  const externalId = await row.locator('th .mono').innerText();
  await mark.focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('menuitem', { name: 'Write off…' })).toBeFocused();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Write off row' });
  await expect(dialog.getByRole('textbox', { name: /Note/ })).toBeFocused();
  await page.keyboard.type('typed by keyboard');
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('row').filter({ has: page.getByText(externalId, { exact: true }) })).toBeFocused();
});
