// GraphQL-over-HTTP conformance of a running Flowstate silo: every graphql-http server audit
// must pass outright (a notice, warning or error all fail), plus a few Flowstate-specific checks.
// Usage: FLOWSTATE_URL=http://127.0.0.1:5080/graphql node --test http-audits.test.mjs (or ./run.sh)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { serverAudits } from 'graphql-http';
import { signedFetch } from './auth.mjs';

const url = process.env.FLOWSTATE_URL || 'http://127.0.0.1:5080/graphql';
const RESPONSE_JSON = 'application/graphql-response+json';
const limit = { timeout: 30_000 }; // a hung request fails its test instead of the whole run

describe('graphql-http server audits', () => {
  for (const audit of serverAudits({ url, fetchFn: signedFetch })) {
    test(`${audit.id} ${audit.name}`, limit, async () => {
      const result = await audit.fn();
      assert.equal(result.status, 'ok',
        `${result.status} (HTTP ${result.response?.status}): ${result.reason}`);
    });
  }
});

/** POSTs a GraphQL request and returns the HTTP status and the parsed body. */
async function post(query, variables) {
  const res = await signedFetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: RESPONSE_JSON },
    body: JSON.stringify({ query, variables }),
  });
  assert.match(res.headers.get('content-type') ?? '', /^application\/graphql-response\+json/);
  return { status: res.status, body: await res.json() };
}

/** The extensions.code of the first error, with the whole body in the message when there is none. */
function firstErrorCode(body) {
  assert.ok(body.errors?.length, `expected errors, got ${JSON.stringify(body)}`);
  return body.errors[0].extensions?.code;
}

describe('Flowstate', () => {
  test('a query returns 200 with JSON data', limit, async () => {
    const { status, body } = await post('{ providers { id } }');
    assert.equal(status, 200);
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    assert.ok(Array.isArray(body.data?.providers), JSON.stringify(body));
  });

  test('a mutation over GET is refused with 405', limit, async () => {
    const get = new URL(url);
    get.searchParams.set('query', 'mutation { applyRowAction(input: { rowId: "x/y", action: CONFIRM }) { row { id } } }');
    const res = await signedFetch(get, { headers: { accept: RESPONSE_JSON } });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'POST');
    await res.body?.cancel();
  });

  test('applyRowAction on an unknown row is NOT_FOUND', limit, async () => {
    const { body } = await post(
      'mutation($input: RowActionInput!) { applyRowAction(input: $input) { row { id } } }',
      { input: { rowId: `conformance/missing-${Date.now()}`, action: 'CONFIRM' } });
    assert.equal(firstErrorCode(body), 'NOT_FOUND', JSON.stringify(body.errors));
  });

  test('reconciliation with a malformed period is INVALID_INPUT', limit, async () => {
    const { body } = await post('{ reconciliation(period: "nope") { __typename } }');
    assert.equal(firstErrorCode(body), 'INVALID_INPUT', JSON.stringify(body.errors));
  });
});
