// GraphiQL at /graphql, checked in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core): the page and its assets come from the silo itself, a query runs over HTTP and
// a subscription over graphql-ws, and both results show in the response pane.
// Usage: FLOWSTATE_URL=http://127.0.0.1:5080/graphql node --test graphiql.test.mjs (or ./run.sh)
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { getIntrospectionQuery } from 'graphql';
import { chromium } from 'playwright-core';
import { signedFetch, token } from './auth.mjs';

const url = process.env.FLOWSTATE_URL || 'http://127.0.0.1:5080/graphql';
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const limit = { timeout: 60_000 };

describe('GraphiQL in headless Chromium', () => {
  let browser;
  // playwright-core starts Chromium on a fresh temporary profile of its own.
  before(async () => {
    browser = await chromium.launch({
      executablePath,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
             '--disable-component-update', '--disable-sync'],
    });
  });
  after(async () => { await browser?.close(); });

  /** Opens the IDE signed in through its link, in a fresh context (GraphiQL keeps its tabs in localStorage), recording requests and page errors. */
  async function openIde() {
    const page = await (await browser.newContext()).newPage();
    const requests = [], errors = [];
    page.on('request', r => requests.push(r.url()));
    page.on('pageerror', e => errors.push(e));
    const response = await page.goto(`${url}#token=${encodeURIComponent(token)}`, { waitUntil: 'load' });
    assert.equal(response.status(), 200);
    assert.match(response.headers()['content-type'], /^text\/html/);
    await page.waitForSelector('.graphiql-container .graphiql-query-editor .CodeMirror', { timeout: 20_000 });
    assert.ok(!page.url().includes('token='), 'the page takes the token out of its URL');
    return { page, requests, errors };
  }

  async function run(page, query) {
    await page.evaluate(q => document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(q), query);
    await page.click('.graphiql-execute-button');
  }

  const responseText = page => page.evaluate(() => document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror.getValue() ?? '');

  test('loads from the silo alone, runs a query over HTTP and shows the result', limit, async () => {
    const { page, requests, errors } = await openIde();
    await run(page, '{ providers { id } __typename }');
    await page.waitForFunction(() => /"__typename": "Query"/.test(document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror.getValue() ?? ''),
      null, { timeout: 20_000 });
    const result = JSON.parse(await responseText(page));
    assert.ok(Array.isArray(result.data.providers));
    const origin = new URL(url).origin;
    assert.deepEqual(requests.filter(r => !r.startsWith(origin) && !r.startsWith('data:')), [], 'no request leaves the silo (no CDN)');
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  test('runs a subscription over graphql-ws and shows its first event', limit, async () => {
    const { page, errors } = await openIde();
    const sockets = [];
    page.on('websocket', ws => sockets.push(ws.url()));
    await run(page, 'subscription { periodSummaryChanged(period: "2026-06") { period billed } }');
    await page.waitForFunction(() => /"period": "2026-06"/.test(document.querySelector('.graphiql-response .CodeMirror')?.CodeMirror.getValue() ?? ''),
      null, { timeout: 20_000 });
    assert.equal(sockets.length, 1);
    assert.equal(new URL(sockets[0]).pathname, new URL(url).pathname);
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  test('the full introspection query GraphiQL sends for its docs is accepted', limit, async () => {
    const res = await signedFetch(url, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: getIntrospectionQuery() }) });
    const body = await res.json();
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    assert.equal(body.data.__schema.subscriptionType.name, 'Subscription');
  });

  test('API clients asking for JSON still get GraphQL, not the page', limit, async () => {
    const res = await fetch(url, { headers: { accept: 'application/json' } });
    assert.notEqual(res.headers.get('content-type')?.split(';')[0], 'text/html');
    await res.body?.cancel();
  });
});
