// Subscriptions of a running Flowstate silo over graphql-transport-ws, driven by the real graphql-ws
// client: live events after an action, resume after a cursor (no gap, no duplicate), the close codes
// 4403 / 4409 / slow consumer, and every counter back to zero once the clients are gone.
// Usage: FLOWSTATE_URL=http://127.0.0.1:5080/graphql node --test subscriptions.test.mjs (or ./run.sh)
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { SUB, connectionParams, mint, signedFetch } from './auth.mjs';

const httpUrl = process.env.FLOWSTATE_URL || 'http://127.0.0.1:5080/graphql';
const wsUrl = httpUrl.replace(/^http/, 'ws');
const metricsUrl = new URL('/metrics/subscriptions', httpUrl);
const limit = { timeout: 60_000 };
const PERIOD = '2026-06';
const ROW_FEED = `subscription($period: String, $provider: ID, $after: String) {
  rowStatusChanged(period: $period, provider: $provider, after: $after) {
    cursor fromStatus toStatus action actor at row { id status providerId } } }`;

async function gql(query, variables) {
  const res = await signedFetch(httpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data;
}

// The silo's live counters are the ops role's (DESIGN §7), as /metrics is.
const opsToken = mint({ roles: ['ops'], sub: 'conformance-ops' });
const metrics = async () => (await signedFetch(metricsUrl, {}, opsToken)).json();

async function eventually(check, what, ms = 15_000) {
  for (const deadline = Date.now() + ms; ; await new Promise(r => setTimeout(r, 25))) {
    if (await check()) return;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}: ${JSON.stringify(await metrics())}`);
  }
}

let providers = 0;
/** A fresh provider with `count` rows in PERIOD, all UNRECONCILED; returns the provider id and row ids. */
async function seedRows(count, { description } = {}) {
  const provider = `sub-${Date.now().toString(36)}-${++providers}`;
  await gql('mutation($i: ProviderInput!) { configureProvider(input: $i) { id } }', { i: { id: provider, name: provider } });
  const ids = [];
  for (let start = 0; start < count; start += 25) {
    const rows = Array.from({ length: Math.min(25, count - start) }, (_, k) => ({
      externalId: `r${start + k}`, subject: 'nobody', usageDate: `${PERIOD}-1${(start + k) % 9}`, totalCostUsd: '2.50', description,
    }));
    const data = await gql('mutation($i: IngestBillingRowsInput!) { ingestBillingRows(input: $i) { accepted } }', { i: { providerId: provider, rows } });
    assert.equal(data.ingestBillingRows.accepted, rows.length);
    ids.push(...rows.map(r => `${provider}/${r.externalId}`));
  }
  return { provider, ids };
}

const act = (rowId, action, note = 'conformance') =>
  gql('mutation($i: RowActionInput!) { applyRowAction(input: $i) { row { status } summary { writtenOff } } }', { i: { rowId, action, note } });

/** A graphql-ws subscription whose events queue up to be taken one by one. */
function subscribe(client, query, variables) {
  const queue = [], waiters = [];
  let failure;
  const push = item => (waiters.length ? waiters.shift()(item) : queue.push(item));
  const dispose = client.subscribe({ query, variables }, {
    next: r => push(r),
    error: e => { failure = e; push(undefined); },
    complete: () => push(undefined),
  });
  return {
    dispose,
    async next(ms = 10_000) {
      const item = queue.length ? queue.shift() : await new Promise((resolve, reject) => {
        waiters.push(resolve);
        setTimeout(() => reject(new Error('no event within ' + ms + ' ms')), ms);
      });
      if (failure) throw failure;
      assert.ok(item, 'the subscription completed');
      assert.equal(item.errors, undefined, JSON.stringify(item.errors));
      return item.data;
    },
    pending: () => queue.length,
  };
}

const newClient = () => createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, connectionParams });

/** Subscribes to rowStatusChanged and waits until the server reports the feed live (past its replay). */
async function liveRowFeed(client, variables) {
  const before = (await metrics()).feeds.liveRowFeeds;
  const sub = subscribe(client, ROW_FEED, variables);
  await eventually(async () => (await metrics()).feeds.liveRowFeeds > before, 'the feed to go live');
  return sub;
}

describe('subscriptions', () => {
  const clients = [];
  after(() => clients.forEach(c => c.dispose()));

  test('rowStatusChanged delivers a change made after subscribing, with its cursor and row', limit, async () => {
    const { provider, ids } = await seedRows(2);
    const client = newClient(); clients.push(client);
    const sub = await liveRowFeed(client, { period: PERIOD, provider });

    await act(ids[0], 'WRITE_OFF', 'orphan');
    const e = (await sub.next()).rowStatusChanged;
    assert.equal(e.fromStatus, 'UNRECONCILED');
    assert.equal(e.toStatus, 'WRITTEN_OFF');
    assert.equal(e.action, 'WRITE_OFF');
    assert.equal(e.actor, SUB);   // the token's sub
    assert.deepEqual(e.row, { id: ids[0], status: 'WRITTEN_OFF', providerId: provider });
    assert.equal(typeof e.cursor, 'string');

    await seedRows(1); // another provider's new row: filtered out server-side
    await act(ids[1], 'WRITE_OFF', 'orphan too');
    assert.equal((await sub.next()).rowStatusChanged.row.id, ids[1]);
    sub.dispose();
  });

  test('periodSummaryChanged sends the summary, then the new one after an action', limit, async () => {
    const { ids } = await seedRows(1);
    const client = newClient(); clients.push(client);
    const sub = subscribe(client, 'subscription($p: String!) { periodSummaryChanged(period: $p) { period billed writtenOff } }', { p: PERIOD });
    const first = (await sub.next()).periodSummaryChanged;
    assert.equal(first.period, PERIOD);

    const acted = await act(ids[0], 'WRITE_OFF');
    let latest;
    do latest = (await sub.next()).periodSummaryChanged; while (latest.writtenOff !== acted.applyRowAction.summary.writtenOff);
    assert.equal(Number(latest.writtenOff) - Number(first.writtenOff), 2.5);
    sub.dispose();
  });

  test('after: a cursor replays exactly the missed changes, then continues live', limit, async () => {
    const { provider, ids } = await seedRows(4);
    const client = newClient(); clients.push(client);
    const first = await liveRowFeed(client, { provider });
    await act(ids[0], 'WRITE_OFF');
    await act(ids[1], 'WRITE_OFF');
    const seen = [(await first.next()).rowStatusChanged, (await first.next()).rowStatusChanged];
    first.dispose();

    await act(ids[2], 'WRITE_OFF');            // missed while nobody listens
    await act(ids[0], 'REOPEN', 'disputed');   // missed too

    const liveBefore = (await metrics()).feeds.liveRowFeeds;
    const resumed = subscribe(client, ROW_FEED, { provider, after: seen[0].cursor });
    const replayed = [];
    for (let i = 0; i < 3; i++) replayed.push((await resumed.next()).rowStatusChanged);
    assert.deepEqual(replayed.map(e => [e.row.id, e.fromStatus, e.toStatus]),
      [[ids[1], 'UNRECONCILED', 'WRITTEN_OFF'], [ids[2], 'UNRECONCILED', 'WRITTEN_OFF'], [ids[0], 'WRITTEN_OFF', 'UNRECONCILED']]);
    assert.equal(replayed[0].cursor, seen[1].cursor);
    await eventually(async () => (await metrics()).feeds.liveRowFeeds > liveBefore, 'the resumed feed to go live');

    await act(ids[3], 'WRITE_OFF');            // live
    const live = (await resumed.next()).rowStatusChanged;
    assert.deepEqual([live.row.id, live.toStatus], [ids[3], 'WRITTEN_OFF']);
    await new Promise(r => setTimeout(r, 300));
    assert.equal(resumed.pending(), 0, 'no duplicate after the hand-over');
    assert.equal(new Set([...seen, ...replayed, live].map(e => e.cursor)).size, 5); // replayed[0] is seen[1]
    resumed.dispose();
  });

  test('identical live subscriptions share one execution and each gets every event under its own id', limit, async () => {
    const { provider, ids } = await seedRows(1);
    const a = newClient(), b = newClient(); clients.push(a, b);
    const first = await liveRowFeed(a, { provider });
    const second = subscribe(b, ROW_FEED, { provider });
    await eventually(async () => (await metrics()).webSocket.operations >= 2, 'both subscriptions');
    await new Promise(r => setTimeout(r, 100)); // b's subscribe frame is processed by now (it joins the running feed)
    await act(ids[0], 'WRITE_OFF');
    const [x, y] = [(await first.next()).rowStatusChanged, (await second.next()).rowStatusChanged];
    assert.deepEqual(x, y);
    assert.equal(x.row.id, ids[0]);
    const late = subscribe(b, 'subscription($p: String!) { periodSummaryChanged(period: $p) { period } }', { p: PERIOD });
    assert.equal((await late.next()).periodSummaryChanged.period, PERIOD);
    [first, second, late].forEach(s => s.dispose());
  });

  test('a bad cursor is a GraphQL error with INVALID_INPUT', limit, async () => {
    const client = newClient(); clients.push(client);
    const result = await new Promise((resolve, reject) => {
      client.subscribe({ query: ROW_FEED, variables: { after: 'not-a-cursor' } }, { next: resolve, error: reject, complete: () => {} });
    });
    assert.equal(result.errors[0].extensions.code, 'INVALID_INPUT');
  });
});

/** A raw protocol socket: resolves `closed` with the close code. */
function rawSocket(payload = connectionParams()) {
  const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
  const messages = [];
  const closed = new Promise((resolve, reject) => {
    socket.on('close', code => resolve(code));
    socket.on('error', reject);
  });
  const acked = new Promise(resolve => socket.on('message', data => {
    const m = JSON.parse(data.toString());
    messages.push(m);
    if (m.type === 'connection_ack') resolve();
  }));
  socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload })));
  return { socket, messages, closed, acked, send: m => socket.send(typeof m === 'string' ? m : JSON.stringify(m)) };
}

describe('close codes and bad input', () => {
  test('4403 when connection_init presents credentials the server cannot verify', limit, async () => {
    assert.equal(await rawSocket({ authorization: 'Bearer forged' }).closed, 4403);
  });

  test('4409 on a second subscribe with the id of a live subscription', limit, async () => {
    const c = rawSocket();
    await c.acked;
    const summary = { query: `subscription { periodSummaryChanged(period: "${PERIOD}") { billed } }` };
    c.send({ id: 'dup', type: 'subscribe', payload: summary });
    await eventually(() => c.messages.some(m => m.type === 'next' && m.id === 'dup'), 'the first event');
    c.send({ id: 'dup', type: 'subscribe', payload: summary });
    assert.equal(await c.closed, 4409);
  });

  test('4400 on an unknown message type and on an oversized message', limit, async () => {
    const unknown = rawSocket();
    await unknown.acked;
    unknown.send({ type: 'shout' });
    assert.equal(await unknown.closed, 4400);

    const big = rawSocket();
    await big.acked;
    big.send({ id: '1', type: 'subscribe', payload: { query: `{ providers { id } }#${'x'.repeat(1_100_000)}` } });
    assert.equal(await big.closed, 4400);
  });

  test('a slow consumer is closed with 1008 and its subscription released', limit, async () => {
    // Big events (each row's 2,000-character description, the longest taken, asked for 120 times)
    // replayed from the start of a fresh provider's log, to a client that has stopped reading: the
    // server's queue overflows.
    const { provider } = await seedRows(200, { description: 'd'.repeat(2_000) });
    const c = rawSocket();
    await c.acked;
    c.socket.pause();
    const fat = Array.from({ length: 120 }, (_, i) => `d${i}: description`).join(' ');
    const before = await metrics();
    c.send({ id: 'slow', type: 'subscribe', payload: {
      query: `subscription($p: ID) { rowStatusChanged(provider: $p, after: "${Buffer.from('row-event:0').toString('base64')}") { cursor row { ${fat} } } }`,
      variables: { p: provider } } });
    const sent = Date.now();
    await eventually(async () => Date.now() - sent > 1000 && (await metrics()).feeds.active === before.feeds.active,
      'the server to drop the slow subscription');
    c.socket.resume();
    assert.equal(await c.closed, 1008);
    assert.ok(c.messages.filter(m => m.type === 'next').length < 200, 'the server stopped before sending everything');
  });

  test('clients that drop without closing leave no subscription, stream handle or feed behind', limit, async () => {
    const { provider } = await seedRows(1);
    const sockets = [];
    for (let i = 0; i < 20; i++) {
      const c = rawSocket();
      await c.acked;
      c.send({ id: 'a', type: 'subscribe', payload: { query: ROW_FEED, variables: { provider } } });
      c.send({ id: 'b', type: 'subscribe', payload: { query: `subscription { periodSummaryChanged(period: "${PERIOD}") { billed } }` } });
      sockets.push(c);
    }
    await eventually(async () => {
      const m = await metrics();
      return m.webSocket.operations >= 40 && m.feeds.active >= 2 && m.streams.subscriptions >= 2;
    }, 'all 40 subscriptions to be running');
    const during = await metrics();
    // 20 identical live subscriptions of each kind run once and share their events.
    assert.equal(during.shared.groups, 2, JSON.stringify(during));
    assert.equal(during.feeds.active, 2, JSON.stringify(during));
    assert.equal(during.streams.subscriptions, 2, `one stream subscription per stream, not per client: ${JSON.stringify(during)}`);

    sockets.forEach(c => c.socket.terminate());   // no close handshake: the TCP connection just goes away
    await eventually(async () => {
      const m = await metrics();
      return m.webSocket.connections === 0 && m.webSocket.operations === 0 && m.streams.subscriptions === 0
        && m.streams.listeners === 0 && m.feeds.active === 0 && m.feeds.liveRowFeeds === 0 && m.shared.groups === 0;
    }, 'every counter to return to zero');
  });
});
