// `./flowstate bench ui`: time to the first meaningful render of the attribution landing page and of
// the inbox on the demo org (cold: a fresh browser context each time, so nothing is cached in the
// browser), in-app navigations, and the gzip size of the JavaScript, each beside its target.
// Options: --runs N (default 7).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from '@playwright/test';

const base = process.env.FLOWSTATE_URL ?? 'http://127.0.0.1:5250';
const token = process.env.FLOWSTATE_TOKEN || '';
const signIn = token ? `#token=${encodeURIComponent(token)}` : '';
const webRoot = process.env.WEB_ROOT ?? '../../silo/bin/Release/net10.0/wwwroot';
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 7;

async function api(query, variables = {}) {
  const r = await fetch(`${base}/graphql`, { method: 'POST', body: JSON.stringify({ query, variables }),
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) } });
  return (await r.json()).data;
}
async function monthWithRows() {
  const now = new Date();
  for (let back = 0; back < 6; back++) {
    const p = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 1)).toISOString().slice(0, 7);
    if ((await api('query($p: String!) { reconciliation(period: $p) { summary { rowCount } } }', { p })).reconciliation.summary.rowCount > 0) return p;
  }
  return now.toISOString().slice(0, 7);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const attributionReady = page => page.getByTestId('total').waitFor();
// The inbox's own rows (a status badge) or its empty state, inside the inbox: the attribution page's
// sessions table has badges too, which must not count for a navigation away from it.
const inboxReady = page => page.locator('section[aria-labelledby="inbox-title"]').locator('tbody .badge, .empty').first().waitFor();

/** Milliseconds from navigation start to the page's first meaningful render, in a fresh context. */
async function cold(path, ready) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(base + path + signIn, { waitUntil: 'commit' });
  await ready(page);
  const ms = await page.evaluate(() => performance.now());
  await context.close();
  return ms;
}

/** Milliseconds from a click to the next view's meaningful render, measured in the page. */
async function inApp(page, click, ready) {
  const t0 = await page.evaluate(() => performance.now());
  await click();
  await ready();
  return (await page.evaluate(() => performance.now())) - t0;
}

const month = await monthWithRows();
const inboxPath = `/reconciliation/${month}`;
const landing = [], inbox = [], toInbox = [], drill = [];
for (let i = 0; i < runs; i++) {
  landing.push(await cold('/attribution', attributionReady));
  inbox.push(await cold(inboxPath, inboxReady));
}
const { attribution } = await api('{ attribution { children { scope { id name } } } }');
const centres = attribution.children.filter(c => c.scope.id);
for (let i = 0; i < runs; i++) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${base}/attribution?range=${['7d', '30d', 'qtd', '1y'][i % 4]}${signIn}`);
  await attributionReady(page);
  const centre = centres[i % centres.length];
  drill.push(await inApp(page,
    () => page.getByRole('region', { name: /^Inside / }).getByRole('link', { name: centre.scope.name, exact: true }).click(),
    () => page.getByRole('heading', { level: 1, name: new RegExp(centre.scope.name.replace(/[&()]/g, '.')) }).waitFor()));
  toInbox.push(await inApp(page, () => page.getByRole('link', { name: 'Reconciliation' }).click(), () => inboxReady(page)));
  await context.close();
}
await browser.close();

// The JavaScript: every chunk, and what the landing page loads before it renders.
const assets = join(webRoot, 'assets');
const gz = f => gzipSync(readFileSync(join(assets, f))).length;
const js = readdirSync(assets).filter(f => f.endsWith('.js'));
const total = js.reduce((s, f) => s + gz(f), 0);
const index = readFileSync(join(webRoot, 'index.html'), 'utf8');
const initial = [...index.matchAll(/(?:src|href)="\/assets\/([^"]+\.js)"/g)].map(m => m[1]);
const initialSize = initial.reduce((s, f) => s + gz(f), 0);

const p50 = xs => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const ms = x => `${x.toFixed(0)} ms`;
const kb = b => `${(b / 1024).toFixed(1)} KB`;
const rows = [
  ['attribution landing, first meaningful render (cold)', landing, 1500],
  [`inbox ${month}, first meaningful render (cold)`, inbox, 1500],
  ['in-app: drill into a cost centre', drill, 300],
  ['in-app: attribution → inbox', toInbox, 300],
];
console.log(`\nWeb app on the demo org, headless Chromium, ${runs} runs each (cold = fresh browser context, nothing cached)\n`);
console.log('| | p50 | min | max | first run | target |');
console.log('|---|---|---|---|---|---|');
for (const [name, xs, target] of rows) {
  console.log(`| ${name} | ${ms(p50(xs))} | ${ms(Math.min(...xs))} | ${ms(Math.max(...xs))} | ${ms(xs[0])} | ≤ ${target} ms p50${p50(xs) <= target ? ' (met)' : ' (NOT met)'} |`);
}
console.log(`| JS bundle, gzip, all ${js.length} chunks | ${kb(total)} | | | | ≤ 350 KB${total <= 350 * 1024 ? ' (met)' : ' (NOT met)'} |`);
console.log(`| JS that index.html loads (entry and preloads), gzip (${initial.length} files) | ${kb(initialSize)} | | | | |`);
