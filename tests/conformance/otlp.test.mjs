// OTLP/HTTP JSON from the official OpenTelemetry JS logs SDK (@opentelemetry/sdk-logs with
// @opentelemetry/exporter-logs-otlp-http, what Gemini CLI and Claude Code's http/json use) against a
// running silo (DESIGN §9): log records shaped like Claude Code's claude_code.api_request events
// (fixtures/telemetry/FORMATS.md §1.5), sent with an ingest key in the exporter's headers, plain and gzip. Every export
// must succeed, and the session must then appear in `sessions` and `myUsage` with the exact tokens and
// costs. An unknown key must make the exporter report a failure, and nothing arrives.
// Usage: FLOWSTATE_URL=http://127.0.0.1:5080/graphql node --test otlp.test.mjs (or ./run.sh)
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { signedFetch } from './auth.mjs';

const url = process.env.FLOWSTATE_URL || 'http://127.0.0.1:5080/graphql';
const logsUrl = new URL('/v1/logs', url).href;
const limit = { timeout: 60_000 };
// ExportResultCode of @opentelemetry/core: SUCCESS is 0, FAILED 1.
const SUCCESS = 0, FAILED = 1;

async function gql(query, variables) {
  const res = await signedFetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data;
}

/** Waits for condition() to return a truthy value (polling, at most `bound` ms) and returns it. */
async function until(condition, what, bound = 30_000) {
  const start = Date.now();
  let last;
  for (;;) {
    last = await condition();
    if (last?.ok) return last.value;
    if (Date.now() - start > bound) assert.fail(`${what}: not within ${bound / 1000} s; last seen ${JSON.stringify(last?.value)}`);
    await new Promise(resolve => setTimeout(resolve, 200));
  }
}

/** The official OTLP/HTTP JSON exporter, wrapped so that each export's result is recorded. */
function recordingExporter(key, compression) {
  const inner = new OTLPLogExporter({ url: logsUrl, headers: { Authorization: `Bearer ${key}` }, timeoutMillis: 20_000, compression });
  const results = [];
  return {
    results,
    export(records, done) { inner.export(records, result => { results.push({ ...result, records: records.length }); done(result); }); },
    forceFlush: () => inner.forceFlush(),
    shutdown: () => inner.shutdown(),
  };
}

/**
 * Emits one user prompt (a turn) and the calls of one Claude Code session through the JS logs SDK,
 * flushes and shuts it down; returns the recorded export results.
 */
async function exportSession(key, session, email, calls, compression = 'none') {
  const exporter = recordingExporter(key, compression);
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'claude-code', 'service.version': '2.1.262', 'os.type': 'linux', 'host.arch': 'x64' }),
    processors: [new BatchLogRecordProcessor({ exporter, scheduledDelayMillis: 600_000 })],
  });
  const logger = provider.getLogger('com.anthropic.claude_code.events', '2.1.262');
  let sequence = 0;
  const standard = () => ({
    'session.id': session, 'user.id': '3c9f0b6e7a1d48e2b5f4c7a9d0e1f2a3', 'user.email': email,
    'organization.id': '7d1e4a52-9c3b-4f8e-a6d0-2b5c8e1f4a7d', 'terminal.type': 'vscode',
    'event.sequence': sequence++, 'event.timestamp': new Date().toISOString(),
  });
  const emit = (name, attributes) => logger.emit({
    body: `claude_code.${name}`, severityNumber: SeverityNumber.INFO, timestamp: new Date(),
    attributes: { ...standard(), 'event.name': name, ...attributes },
  });
  emit('user_prompt', { prompt_length: '26', prompt: '<REDACTED>' });
  for (const c of calls) {
    emit('api_request', {
      model: c.model, input_tokens: c.input, output_tokens: c.output, cache_read_tokens: c.cacheRead, cache_creation_tokens: c.cacheCreation,
      cost_usd: c.costUsd, duration_ms: 1834, request_id: `req_${randomUUID().replaceAll('-', '')}`, client_request_id: randomUUID(),
      speed: 'normal', query_source: 'repl_main_thread',
    });
  }
  await provider.forceFlush();
  await provider.shutdown();
  return exporter.results;
}

async function sessionsOf(person) {
  const data = await gql(`query($person: ID!) { sessions(filter: { personId: $person }) { totalCount edges { node {
    id providerId model person { id } inputTokens outputTokens cachedInputTokens turns costUsd marketCostUsd } } } }`, { person });
  return data.sessions;
}

describe('OTLP/HTTP JSON from the OpenTelemetry JS logs SDK', () => {
  // People of this run only, so a re-run on the same database starts from no sessions.
  const run = randomUUID().slice(0, 8);
  const erin = `otel-erin-${run}`, finn = `otel-finn-${run}`;
  let key;
  before(async () => {
    // The org's Claude Code provider (no price list, 20% off: the agent's cost_usd is the market cost) and its people.
    await gql(`mutation { configureProvider(input: { id: "otel-claude", name: "Claude Code (OTLP)", telemetryService: "claude-code",
      plan: { discount: "0.2" } }) { id } }`);
    await gql(`mutation { upsertWorkforce(input: { people: [{ id: "${finn}", email: "${finn}@otel.example", name: "Finn" }] }) { __typename } }`);
    key = (await gql('mutation { createIngestKey(input: { name: "js otel exporter", roles: ["ingest"] }) { secret } }')).createIngestKey.secret;
    assert.match(key, /^fsk_/);
  });

  // OTEL_EXPORTER_OTLP_COMPRESSION: off by default, gzip when set.
  for (const compression of ['none', 'gzip']) test(`api_request logs (compression ${compression}) are accepted, and the session has the exact tokens and costs in sessions and myUsage`, limit, async () => {
    const person = `${erin}-${compression}`;
    await gql(`mutation { upsertWorkforce(input: { people: [{ id: "${person}", email: "${person}@otel.example", name: "Erin" }] }) { __typename } }`);
    const session = randomUUID();
    // Multiples of 0.000005, so the 20% discount is exact to the micro-dollar.
    const results = await exportSession(key, session, `${person}@otel.example`, [
      { model: 'claude-sonnet-5', input: 912, output: 14, cacheRead: 18240, cacheCreation: 4, costUsd: 0.012345 },
      { model: 'claude-sonnet-5', input: 2210, output: 412, cacheRead: 20450, cacheCreation: 2, costUsd: 0.00451 },
      { model: 'claude-haiku-4-5-20251001', input: 1631, output: 287, cacheRead: 0, cacheCreation: 0, costUsd: 0.02 },
    ], compression);
    assert.ok(results.length > 0, 'the exporter exported');
    for (const r of results) assert.equal(r.code, SUCCESS, `export failed: ${r.error}`);
    assert.equal(results.reduce((n, r) => n + r.records, 0), 4);

    const s = await until(async () => {
      const node = (await sessionsOf(person)).edges.map(e => e.node).find(n => n.id === session);
      return { ok: node?.costUsd === '0.029484', value: node };
    }, `session ${session} folded`);
    assert.equal(s.providerId, 'otel-claude');
    assert.equal(s.person.id, person);
    assert.equal(s.inputTokens, 912 + 4 + 2210 + 2 + 1631);   // cache writes are priced as input
    assert.equal(s.outputTokens, 14 + 412 + 287);
    assert.equal(s.cachedInputTokens, 18240 + 20450);
    assert.equal(s.turns, 1);
    assert.equal(s.marketCostUsd, '0.036855');

    const usage = await until(async () => {
      const u = (await gql('query($p: ID!) { myUsage(personId: $p) { spend market: spend(costMode: MARKET) sessionCount } }', { p: person })).myUsage;
      return { ok: u.spend === '0.029484', value: u };
    }, `myUsage of ${person}`);
    assert.deepEqual(usage, { spend: '0.029484', market: '0.036855', sessionCount: 1 });
  });

  test('an unknown ingest key makes the exporter report a failure, and nothing arrives', limit, async () => {
    const results = await exportSession(`fsk_${'A'.repeat(43)}`, randomUUID(), `${finn}@otel.example`,
      [{ model: 'claude-sonnet-5', input: 100, output: 10, cacheRead: 0, cacheCreation: 0, costUsd: 0.5 }]);
    assert.ok(results.length > 0, 'the exporter exported');
    for (const r of results) assert.equal(r.code, FAILED);
    assert.match(String(results[0].error), /401|Unauthorized/i);
    assert.equal((await sessionsOf(finn)).totalCount, 0);
  });
});
