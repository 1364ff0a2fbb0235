// My AI Usage: an unmatched session marked with a project through the searchable picker; the
// person's unmatched count and the project's attribution move at once.
import { expect, test } from '@playwright/test';
import { api, money, open } from './helpers.mjs';

const projectTotal = projectId => api(`query($s: ScopeInput) { attribution(scope: $s, costMode: MARKET) { total } }`, { s: { projectId } })
  .then(d => Number(d.attribution.total));

test('marking an unmatched session with a project moves its spend', async ({ page }) => {
  const { sessions } = await api(`{ sessions(filter: { unmatchedOnly: true }, first: 50) { edges { node { id marketCostUsd person { id name } } } } }`);
  const session = sessions.edges.map(e => e.node).find(s => s.person && Number(s.marketCostUsd) > 0);
  const { projects } = await api('{ projects { id name } }');
  const project = projects.find(p => p.name === 'Checkout') ?? projects[0];
  const { myUsage: before } = await api('query($p: ID!) { myUsage(personId: $p) { unmatchedCount } }', { p: session.person.id });
  const projectBefore = await projectTotal(project.id);

  await open(page, `/me?person=${session.person.id}&tab=unmatched`);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(session.person.name);
  await expect(page.getByRole('tab', { name: `Unmatched (${before.unmatchedCount})` })).toHaveAttribute('aria-selected', 'true');
  let picker = page.getByRole('combobox', { name: `Project for session ${session.id}` });
  while (!(await picker.count())) {
    await page.getByRole('button', { name: 'Next page' }).click();
    picker = page.getByRole('combobox', { name: `Project for session ${session.id}` });
  }
  await picker.fill(project.name.slice(0, 4).toLowerCase());
  await page.getByRole('option', { name: project.name }).click();
  await expect(page.getByRole('status').filter({ hasText: `${session.id} is now marked ${project.name}` })).toBeVisible();
  await expect(page.getByRole('tab', { name: `Unmatched (${before.unmatchedCount - 1})` })).toBeVisible();

  const moved = (await api('query($id: ID!) { session(id: $id) { project { id } projectSource } }', { id: session.id })).session;
  expect(moved).toEqual({ project: { id: project.id }, projectSource: 'MARKED' });
  await expect.poll(() => projectTotal(project.id)).toBeCloseTo(projectBefore + Number(session.marketCostUsd), 6);

  await open(page, `/attribution?project=${project.id}&mode=market`);
  const { attribution } = await api('query($s: ScopeInput) { attribution(scope: $s, costMode: MARKET) { total } }', { s: { projectId: project.id } });
  await expect(page.getByTestId('total')).toHaveText(money(attribution.total));
});

test('the spend chart labels its axis with distinct, increasing amounts, even for a few cents', async ({ page }) => {
  // The person of the last 7 days whose largest project is the smallest: ticks a few cents apart,
  // which a format of one decimal would read "$0.1, $0.1, $0.2, $0.2".
  const { attribution } = await api('{ attribution(range: LAST_7_DAYS, costMode: MARKET) { topSpenders(first: 100) { key name } } }');
  const people = attribution.topSpenders.slice(-12);
  const largest = await Promise.all(people.map(p => api(
    'query($p: ID!) { attribution(scope: { personId: $p }, range: LAST_7_DAYS, costMode: MARKET) { byProject { amount } } }', { p: p.key })
    .then(d => Math.max(0, ...d.attribution.byProject.map(b => Number(b.amount))))));
  const i = largest.indexOf(Math.min(...largest.filter(x => x > 0)));
  const person = people[i];
  expect(largest[i]).toBeLessThan(2);

  await open(page, `/me?person=${person.key}&range=7d`);
  const chart = page.getByRole('img', { name: /^My spend by project/ });
  await expect(chart).toHaveAccessibleDescription(/^Spend axis: \$0/);
  const description = await chart.evaluate(el => document.getElementById(el.getAttribute('aria-describedby')).textContent);
  const labels = description.replace(/^Spend axis: /, '').split(', ');
  expect(labels.length).toBeGreaterThanOrEqual(3);
  expect(new Set(labels).size, `tick labels ${labels.join(' ')}`).toBe(labels.length);
  const decimals = labels.map(l => (l.replace(/[^0-9.]/g, '').split('.')[1] ?? '').length);
  expect(new Set(decimals).size, `tick labels ${labels.join(' ')} all with the same decimals`).toBe(1);
  const values = labels.map(l => Number(l.replace(/[$,]/g, '').replace(/K$/, 'e3')));
  expect(values.every(Number.isFinite), `tick labels ${labels.join(' ')}`).toBe(true);
  for (let k = 1; k < values.length; k++) expect(values[k]).toBeGreaterThan(values[k - 1]);
  expect(values.at(-1)).toBeGreaterThanOrEqual(largest[i]);
});
