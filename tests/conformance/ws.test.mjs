// graphql-transport-ws conformance of a running Flowstate silo, driven by the real graphql-ws
// client (operations over the socket) and raw `ws` (the protocol's close codes).
// Usage: FLOWSTATE_URL=http://127.0.0.1:5080/graphql node --test ws.test.mjs (or ./run.sh)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { connectionParams } from './auth.mjs';

const wsUrl = (process.env.FLOWSTATE_URL || 'http://127.0.0.1:5080/graphql').replace(/^http/, 'ws');
const limit = { timeout: 30_000 };

/** Runs one operation through graphql-ws and collects its results until complete. */
function run(payload) {
  const client = createClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, connectionParams });
  return new Promise((resolve, reject) => {
    const results = [];
    client.subscribe(payload, { next: r => results.push(r), error: reject, complete: () => resolve(results) });
  }).finally(() => client.dispose());
}

/** Opens a raw socket, sends the given frames, and resolves with the close code. */
function closeCodeAfter(frames, { protocol = 'graphql-transport-ws' } = {}) {
  return new Promise((resolve, reject) => {
    const socket = protocol ? new WebSocket(wsUrl, protocol) : new WebSocket(wsUrl);
    socket.on('open', () => frames.forEach(f => socket.send(typeof f === 'string' ? f : JSON.stringify(f))));
    socket.on('close', code => resolve(code));
    socket.on('error', reject);
  });
}

describe('graphql-transport-ws', () => {
  test('a query over the socket yields one result, then completes', limit, async () => {
    const results = await run({ query: '{ providers { id } }' });
    assert.equal(results.length, 1);
    assert.ok(Array.isArray(results[0].data.providers));
  });

  test('a mutation over the socket runs once', limit, async () => {
    const results = await run({ query: 'mutation { configureProvider(input: { id: "ws-check", name: "WS check" }) { id } }' });
    assert.deepEqual(results, [{ data: { configureProvider: { id: 'ws-check' } } }]);
  });

  test('a business error keeps its stable code', limit, async () => {
    const results = await run({ query: '{ reconciliation(period: "nope") { period } }' });
    assert.equal(results[0].errors[0].extensions.code, 'INVALID_INPUT');
  });

  test('an invalid operation is an error message with GraphQL errors', limit, async () => {
    await assert.rejects(run({ query: '{ noSuchField }' }), errors => Array.isArray(errors) && /noSuchField/.test(errors[0].message));
  });

  test('4400 on a malformed frame', limit, async () => {
    assert.equal(await closeCodeAfter([{ type: 'connection_init', payload: connectionParams() }, '{not json']), 4400);
  });

  test('4401 on subscribe before connection_ack', limit, async () => {
    assert.equal(await closeCodeAfter([{ id: '1', type: 'subscribe', payload: { query: '{ providers { id } }' } }]), 4401);
  });

  test('4406 without the graphql-transport-ws subprotocol', limit, async () => {
    assert.equal(await closeCodeAfter([], { protocol: null }), 4406);
  });

  test('4408 when connection_init never comes', limit, async () => {
    assert.equal(await closeCodeAfter([]), 4408);
  });

  test('4429 on a second connection_init', limit, async () => {
    const init = { type: 'connection_init', payload: connectionParams() };
    assert.equal(await closeCodeAfter([init, init]), 4429);
  });
});
