// The attribution dashboard: drill-down with breadcrumbs, range and cost mode against the API, and
// the sessions table's server-side paging, sorting and filters.
import { expect, test } from '@playwright/test';
import { api, money, open } from './helpers.mjs';

const attribution = (scope, range = 'LAST_30_DAYS', costMode = 'INCREMENTAL') => api(`query($s: ScopeInput, $r: DateRange!, $m: CostMode!) {
  attribution(scope: $s, range: $r, costMode: $m) { scope { name } total byProvider { key name amount } children { scope { level id name } amount } } }`,
  { s: scope, r: range, m: costMode }).then(d => d.attribution);

const drillInto = async (page, name) => {
  await page.getByRole('region', { name: /^Inside / }).getByRole('link', { name, exact: true }).click();
};

test('drills org → cost centre → team → person → session, and back up through the breadcrumbs', async ({ page }) => {
  const org = await attribution(null);
  const centre = org.children.find(c => c.scope.id);
  const inCentre = await attribution({ costCentreId: centre.scope.id });
  const team = inCentre.children.find(c => c.scope.level === 'TEAM');
  const inTeam = await attribution({ teamId: team.scope.id });
  const person = inTeam.children.find(c => c.scope.level === 'PERSON' && Number(c.amount) > 0);
  expect(person, 'the demo team has a member of its own with spend').toBeTruthy();

  await open(page, '/attribution');
  await expect(page.getByRole('heading', { level: 1 })).toContainText(org.scope.name);
  await expect(page.getByTestId('total')).toHaveText(money(org.total));

  await drillInto(page, centre.scope.name);
  await expect(page).toHaveURL(new RegExp(`cc=${centre.scope.id}`));
  await expect(page.getByRole('heading', { level: 1 })).toContainText(centre.scope.name);
  await expect(page.getByTestId('total')).toHaveText(money(centre.amount));

  await drillInto(page, team.scope.name);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(team.scope.name);
  await expect(page.getByTestId('total')).toHaveText(money(team.amount));

  await drillInto(page, person.scope.name);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(person.scope.name);
  await expect(page.getByTestId('total')).toHaveText(money(person.amount));
  const crumbs = page.getByRole('navigation', { name: 'Breadcrumb' });
  for (const name of [org.scope.name, centre.scope.name, team.scope.name, person.scope.name]) await expect(crumbs).toContainText(name);

  const sessions = page.getByRole('region', { name: 'Sessions in scope' });
  const firstSession = sessions.getByRole('row').nth(1).getByRole('link');
  const sessionHref = await firstSession.getAttribute('href');
  const sessionId = decodeURIComponent(sessionHref.match(/sessions\/([^?]+)/)[1]);
  await firstSession.click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText(sessionId);
  const detail = (await api('query($id: ID!) { session(id: $id) { person { name } model costUsd } }', { id: sessionId })).session;
  await expect(page.getByText(detail.model, { exact: true })).toBeVisible();
  await expect(page.getByRole('definition').filter({ has: page.locator('xpath=self::dd[preceding-sibling::dt[1][.="Observed cost"]]') })).toHaveText(money(detail.costUsd));
  expect(detail.person.name).toBe(person.scope.name);
  await expect(crumbs).toContainText(`Session ${sessionId}`);

  // A team may share its cost centre's name (Engineering in Engineering): the team is the deeper link.
  await crumbs.getByRole('link', { name: team.scope.name, exact: true }).last().click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText(team.scope.name);
  await crumbs.getByRole('link', { name: centre.scope.name, exact: true }).first().click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText(centre.scope.name);
  await crumbs.getByRole('link', { name: org.scope.name, exact: true }).click();
  await expect(page.getByTestId('total')).toHaveText(money(org.total));

  // Back and forward walk the same views.
  await page.goBack();
  await expect(page.getByRole('heading', { level: 1 })).toContainText(centre.scope.name);
  await page.goBack();
  await expect(page.getByRole('heading', { level: 1 })).toContainText(team.scope.name);
  await page.goForward();
  await expect(page.getByRole('heading', { level: 1 })).toContainText(centre.scope.name);
});

test('range and cost mode switch the figures to what attribution answers', async ({ page }) => {
  await open(page, '/attribution');
  for (const [label, range, modeLabel, mode] of [
    ['7d', 'LAST_7_DAYS', 'Market', 'MARKET'], ['QTD', 'QUARTER_TO_DATE', 'Incremental', 'INCREMENTAL'], ['1Y', 'LAST_YEAR', 'Market', 'MARKET'],
  ]) {
    await page.getByRole('group', { name: 'Range' }).getByRole('radio', { name: new RegExp(`^${label}`) }).check();
    await page.getByRole('group', { name: 'Cost mode' }).getByRole('radio', { name: modeLabel }).check();
    const expected = await attribution(null, range, mode);
    await expect(page.getByTestId('total')).toHaveText(money(expected.total));
    const cards = page.getByRole('list', { name: 'Spend by provider' });
    for (const p of expected.byProvider) await expect(cards.getByRole('listitem').filter({ hasText: p.name })).toContainText(money(p.amount));
  }
  await expect(page).toHaveURL(/range=1y/);
  await expect(page).toHaveURL(/mode=market/);
  await page.getByRole('tab', { name: 'Usage' }).click();
  await expect(page.getByRole('tabpanel')).toContainText('Top spenders');
  await page.getByRole('tab', { name: 'Adoption' }).click();
  await expect(page.getByRole('tabpanel')).toContainText('Telemetry coverage by team');
  await open(page, page.url().replace(/#.*/, ''));
  await expect(page.getByRole('tab', { name: 'Adoption' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('radio', { name: /^1Y/ })).toBeChecked();
});

const sessionIds = async page => {
  const links = page.getByRole('region', { name: 'Sessions in scope' }).locator('tbody tr th a');
  await expect(links.first()).toBeVisible();
  return (await links.evaluateAll(as => as.map(a => a.getAttribute('href')))).map(h => decodeURIComponent(h.match(/sessions\/([^?]+)/)[1]));
};
const apiSessionIds = async (orderBy, after = null, filter = null) => {
  const d = await api(`query($o: SessionOrder, $a: String, $f: SessionFilter) { sessions(orderBy: $o, first: 25, after: $a, filter: $f) {
    totalCount pageInfo { endCursor } edges { node { id } } } }`, { o: orderBy, a: after, f: filter });
  return { ids: d.sessions.edges.map(e => e.node.id), end: d.sessions.pageInfo.endCursor, total: d.sessions.totalCount };
};

test('the sessions table pages and sorts on the server', async ({ page }) => {
  await open(page, '/attribution');
  const newest = await apiSessionIds({ field: 'STARTED_AT', direction: 'DESC' });
  await expect.poll(() => sessionIds(page)).toEqual(newest.ids);
  await expect(page.getByRole('navigation', { name: 'Session pages' })).toContainText(`1–25 of ${newest.total.toLocaleString('en-US')}`);

  await page.getByRole('button', { name: 'Next page' }).last().click();
  const second = await apiSessionIds({ field: 'STARTED_AT', direction: 'DESC' }, newest.end);
  await expect.poll(() => sessionIds(page)).toEqual(second.ids);
  await page.getByRole('button', { name: 'Previous page' }).last().click();
  await expect.poll(() => sessionIds(page)).toEqual(newest.ids);

  const table = page.getByRole('region', { name: 'Sessions in scope' });
  // A column sorts largest (or newest) first, and flips on a second click.
  for (const [header, field, first] of [['Cost', 'COST', 'DESC'], ['Tokens', 'TOKENS', 'DESC'], ['Model', 'MODEL', 'DESC'], ['Started', 'STARTED_AT', 'DESC']]) {
    const th = table.getByRole('columnheader', { name: header });
    await th.getByRole('button').click();
    await expect(th).toHaveAttribute('aria-sort', first === 'ASC' ? 'ascending' : 'descending');
    await expect.poll(() => sessionIds(page)).toEqual((await apiSessionIds({ field, direction: first })).ids);
    await th.getByRole('button').click();
    const flipped = first === 'ASC' ? 'DESC' : 'ASC';
    await expect(th).toHaveAttribute('aria-sort', flipped === 'ASC' ? 'ascending' : 'descending');
    await expect.poll(() => sessionIds(page)).toEqual((await apiSessionIds({ field, direction: flipped })).ids);
  }

  // The sort now in force is the last one clicked: oldest first.
  await page.getByRole('group', { name: 'Session filters' }).getByLabel('Provider').selectOption({ label: 'Cursor' });
  const cursor = await apiSessionIds({ field: 'STARTED_AT', direction: 'ASC' }, null, { providerId: 'cursor' });
  await expect.poll(() => sessionIds(page)).toEqual(cursor.ids);
  await page.getByRole('group', { name: 'Session filters' }).getByLabel('Provider').selectOption({ label: 'All' });
  await page.getByRole('checkbox', { name: 'Unmatched only' }).check();
  const unmatched = await apiSessionIds({ field: 'STARTED_AT', direction: 'ASC' }, null, { unmatchedOnly: true });
  await expect.poll(() => sessionIds(page)).toEqual(unmatched.ids);
  await expect(page).toHaveURL(/unmatched=1/);
});
