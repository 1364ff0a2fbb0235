// The browser session in headless Chromium (DESIGN §7): the sign-in link's token (in the URL
// fragment, which never reaches the server) becomes an HttpOnly, SameSite=Strict cookie that
// GraphiQL and the dashboard then use; a page on another origin cannot act with it (CSRF), nor open
// a WebSocket; signing out ends it. Every page loads under the silo's Content-Security-Policy
// without a violation.
// Usage: FLOWSTATE_URL=http://127.0.0.1:5080/graphql node --test session.test.mjs (or ./run.sh)
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { mint, signedFetch } from './auth.mjs';

const url = process.env.FLOWSTATE_URL || 'http://127.0.0.1:5080/graphql';
const origin = new URL(url).origin;
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const limit = { timeout: 90_000 };

describe('the browser session in headless Chromium', () => {
  let browser, evil, evilOrigin;
  before(async () => {
    browser = await chromium.launch({
      executablePath, headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    // Another origin on the same host (another port: the same *site*, so even a SameSite=Strict cookie goes along).
    evil = createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<!doctype html><title>elsewhere</title>'); });
    await new Promise(resolve => evil.listen(0, '127.0.0.1', resolve));
    evilOrigin = `http://127.0.0.1:${evil.address().port}`;
  });
  after(async () => { await browser?.close(); evil?.close(); });

  /** A fresh browser signed in through GraphiQL's link as an admin and ops; its CSP violations and page errors recorded. */
  async function signedIn(sub) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems = [];
    page.on('pageerror', e => problems.push(String(e)));
    page.on('console', m => { if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text()); });
    const requests = [];
    page.on('request', r => requests.push(r.url()));
    const token = mint({ sub, roles: ['admin', 'ops'] });
    await page.goto(`${url}#token=${encodeURIComponent(token)}`, { waitUntil: 'load' });
    await page.waitForSelector('.graphiql-container .graphiql-query-editor .CodeMirror', { timeout: 30_000 });
    return { context, page, problems, requests, token };
  }

  const providerExists = async (token, id) => {
    const body = await (await signedFetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ providers { id } }' }) }, token)).json();
    return body.data.providers.some(p => p.id === id);
  };

  test('the link becomes an HttpOnly, SameSite=Strict cookie no script can read, and no URL the server saw held the token', limit, async () => {
    const { context, page, problems, requests, token } = await signedIn('session-browser');
    const cookie = (await context.cookies(origin)).find(c => c.name === 'flowstate.session');
    assert.ok(cookie, 'the session cookie is set');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(cookie.path, '/');
    assert.equal(await page.evaluate(() => document.cookie.includes('flowstate.session')), false);
    assert.ok(!page.url().includes('token='), 'the page took the token out of its URL');
    assert.deepEqual(requests.filter(r => r.includes(token.split('.')[2])), [], 'no request URL carries the token');
    // The page's own query runs on the cookie alone.
    const data = await page.evaluate(async () => (await (await fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }) })).json()).data);
    assert.deepEqual(data, { __typename: 'Query' });
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('the dashboard opens on the session and renders under the CSP', limit, async () => {
    const { context, page, problems } = await signedIn('session-dashboard');
    const response = await page.goto(`${origin}/dashboard/`, { waitUntil: 'load' });
    assert.equal(response.status(), 200);
    await page.waitForFunction(() => document.querySelector('#menu')?.children.length > 0, null, { timeout: 30_000 });
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('a page on another origin cannot act with the cookie, nor open a WebSocket', limit, async () => {
    const { context, page, token } = await signedIn('session-csrf');
    const provider = `csrf-${Date.now().toString(36)}`;
    await page.goto(`${evilOrigin}/`);
    const outcome = await page.evaluate(async ({ url, provider }) => {
      const mutation = JSON.stringify({ query: `mutation { configureProvider(input: { id: "${provider}", name: "csrf" }) { id } }` });
      // A "simple" request (no preflight) with the victim's cookies; its answer is opaque to this page.
      await fetch(url, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body: mutation }).catch(() => {});
      const cors = await fetch(url, { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' }, body: mutation })
        .then(r => r.status, () => 'blocked');
      const socket = await new Promise(resolve => {
        const ws = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
        ws.onopen = () => { ws.send(JSON.stringify({ type: 'connection_init' })); };
        ws.onmessage = m => resolve(JSON.parse(m.data).type);
        ws.onerror = () => resolve('refused');
        ws.onclose = e => resolve(`closed ${e.code}`);
      });
      return { cors, socket };
    }, { url, provider });
    assert.equal(outcome.socket, 'refused');
    assert.equal(outcome.cors, 'blocked');
    assert.equal(await providerExists(token, provider), false, 'the cross-site mutation did not run');
    // A form post (the classic CSRF) is refused before anything runs.
    const form = await context.request.post(url, { headers: { origin: evilOrigin, 'content-type': 'application/json' },
      data: { query: `mutation { configureProvider(input: { id: "${provider}", name: "csrf" }) { id } }` } });
    assert.equal(form.status(), 403);
    assert.equal(await providerExists(token, provider), false);
    await context.close();
  });

  test('signing out ends the session', limit, async () => {
    const { context, page } = await signedIn('session-out');
    const status = await page.evaluate(async () => (await fetch('/auth/session', { method: 'DELETE' })).status);
    assert.equal(status, 204);
    assert.equal((await context.cookies(origin)).some(c => c.name === 'flowstate.session'), false);
    const after = await page.evaluate(async () => (await fetch('/auth/me')).status);
    assert.equal(after, 401);
    await context.close();
  });
});
