// /metrics of a running Flowstate silo: the Prometheus text format, Orleans', ASP.NET Core's and
// Npgsql's meters beside Flowstate's own, and Flowstate's counters moving with the work done
// (row actions by outcome, ingested items by outcome, WebSocket connections and subscription feeds).
// Usage: FLOWSTATE_URL=http://127.0.0.1:5080/graphql node --test metrics.test.mjs (or ./run.sh)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { connectionParams, mint, signedFetch } from './auth.mjs';

const httpUrl = process.env.FLOWSTATE_URL || 'http://127.0.0.1:5080/graphql';
const metricsUrl = new URL('/metrics', httpUrl);
const limit = { timeout: 60_000 };
// DESIGN §7: /metrics is for the ops role.
const opsToken = mint({ roles: ['ops'], sub: 'conformance-ops' });

async function gql(query, variables) {
  const res = await signedFetch(httpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
    body: JSON.stringify({ query, variables }),
  });
  return res.json();
}

/** One scrape, as samples { name, labels, value }. */
async function scrape() {
  const res = await signedFetch(metricsUrl, {}, opsToken);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  const samples = [];
  for (const line of (await res.text()).split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map(l => [l[1], l[2]]));
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

/** The sum of the samples named `name` whose labels include `labels`. */
const total = (samples, name, labels = {}) => samples
  .filter(s => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
  .reduce((sum, s) => sum + s.value, 0);

async function eventually(check, what, ms = 15_000) {
  for (const deadline = Date.now() + ms; ; await new Promise(r => setTimeout(r, 50))) {
    const samples = await scrape();
    if (check(samples)) return samples;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
  }
}

describe('/metrics', limit, () => {
  test('is for the ops role: 401 without a token, 403 for an admin without ops', limit, async () => {
    assert.equal((await fetch(metricsUrl)).status, 401);
    assert.equal((await signedFetch(metricsUrl)).status, 403);
  });

  test('serves Prometheus text with Orleans, ASP.NET Core, Npgsql, runtime and Flowstate meters', limit, async () => {
    await gql('{ __typename }');
    const samples = await scrape();
    const names = new Set(samples.map(s => s.name));
    const has = prefix => [...names].some(n => n.startsWith(prefix));
    assert.ok(names.has('target_info'), 'target_info (the service resource)');
    assert.ok(has('orleans_catalog_activation'), 'Orleans meter');
    assert.ok(names.has('http_server_request_duration_seconds_count'), 'ASP.NET Core hosting meter');
    assert.ok(names.has('kestrel_active_connections'), 'Kestrel meter');
    assert.ok(samples.some(s => s.name.startsWith('db_client_') && s.labels.otel_scope_name === 'Npgsql'), 'Npgsql meter');
    assert.ok(has('dotnet_gc_'), 'runtime meter');
    for (const level of ['flowstate_websocket_connections', 'flowstate_websocket_operations', 'flowstate_subscription_feeds'])
      assert.ok(names.has(level), `${level} is exported before anything happened`);
    assert.ok(samples.every(s => !/password/i.test(JSON.stringify(s.labels))), 'no label carries a password');
  });

  test('counts row actions by outcome and ingested items by outcome', limit, async () => {
    const provider = `metrics-${Date.now().toString(36)}`;
    let body = await gql('mutation($i: ProviderInput!) { configureProvider(input: $i) { id } }', { i: { id: provider, name: provider } });
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    const before = await scrape();
    const rows = [{ externalId: 'a', subject: 'nobody', usageDate: '2026-06-03', totalCostUsd: '1.25' },
                  { externalId: 'b', subject: 'nobody', usageDate: '2026-06-04', totalCostUsd: '2.50' }];
    const ingest = 'mutation($i: IngestBillingRowsInput!) { ingestBillingRows(input: $i) { accepted duplicates rejected { index } } }';
    body = await gql(ingest, { i: { providerId: provider, rows } });
    assert.equal(body.data.ingestBillingRows.accepted, 2);
    body = await gql(ingest, { i: { providerId: provider, rows: [rows[0], { externalId: 'c', subject: 'nobody', usageDate: '2026-06-05', totalCostUsd: '-1' }] } });
    assert.deepEqual([body.data.ingestBillingRows.duplicates, body.data.ingestBillingRows.rejected.length], [1, 1]);

    const act = 'mutation($i: RowActionInput!) { applyRowAction(input: $i) { row { status version } } }';
    body = await gql(act, { i: { rowId: `${provider}/a`, action: 'WRITE_OFF', note: 'metrics' } });
    assert.equal(body.data.applyRowAction.row.status, 'WRITTEN_OFF');
    body = await gql(act, { i: { rowId: `${provider}/b`, action: 'DEFER', expectedVersion: 99 } });
    assert.equal(body.errors[0].extensions.code, 'VERSION_CONFLICT');

    // The exporter may answer a scrape from its short-lived cache: scrape until the last counter has moved.
    let after = await scrape();
    for (const deadline = Date.now() + 10_000; Date.now() < deadline
      && total(after, 'flowstate_row_actions_total', { action: 'Defer', outcome: 'VERSION_CONFLICT' }) === total(before, 'flowstate_row_actions_total', { action: 'Defer', outcome: 'VERSION_CONFLICT' });) {
      await new Promise(r => setTimeout(r, 100));
      after = await scrape();
    }
    const delta = (name, labels) => total(after, name, labels) - total(before, name, labels);
    assert.equal(delta('flowstate_ingested_items_total', { kind: 'billing_row', outcome: 'accepted' }), 2);
    assert.equal(delta('flowstate_ingested_items_total', { kind: 'billing_row', outcome: 'duplicate' }), 1);
    assert.equal(delta('flowstate_ingested_items_total', { kind: 'billing_row', outcome: 'rejected' }), 1);
    assert.equal(delta('flowstate_row_actions_total', { action: 'WriteOff', outcome: 'applied' }), 1);
    assert.equal(delta('flowstate_row_actions_total', { action: 'Defer', outcome: 'VERSION_CONFLICT' }), 1);
  });

  test('WebSocket connections and subscription feeds rise while a subscriber listens and fall when it leaves', limit, async () => {
    const base = await scrape();
    const client = createClient({ url: httpUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, lazy: false, retryAttempts: 0, connectionParams });
    const stop = client.subscribe({ query: 'subscription { periodSummaryChanged(period: "2026-06") { billed } }' },
      { next: () => {}, error: () => {}, complete: () => {} });
    const level = (s, name, labels) => total(s, name, labels) - total(base, name, labels);
    await eventually(s => level(s, 'flowstate_websocket_connections') === 1 && level(s, 'flowstate_websocket_operations') === 1
      && level(s, 'flowstate_subscription_feeds', { state: 'running' }) === 1, 'a connection, an operation and a feed');
    stop();
    await client.dispose();
    await eventually(s => level(s, 'flowstate_websocket_connections') === 0 && level(s, 'flowstate_subscription_feeds', { state: 'running' }) === 0,
      'the levels back where they were');
  });
});
