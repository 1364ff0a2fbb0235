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
