// Authentication of a running Flowstate silo (DESIGN §7): every request acts as a verified identity.
// Over HTTP a missing, expired, not-yet-valid, tampered, unsigned (alg none), wrong-audience,
// wrong-issuer or org-less token gets 401 UNAUTHENTICATED; over WebSocket the same close the socket
// with 4403 at connection_init. A valid token acts in its own org, as its sub.
// Usage: FLOWSTATE_URL=http://127.0.0.1:5080/graphql node --test auth.test.mjs (or ./run.sh)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import WebSocket from 'ws';
import { bearer, mint, token } from './auth.mjs';

const url = process.env.FLOWSTATE_URL || 'http://127.0.0.1:5080/graphql';
const wsUrl = url.replace(/^http/, 'ws');
const limit = { timeout: 60_000 };
const b64url = obj => Buffer.from(JSON.stringify(obj)).toString('base64url');
const decode = part => JSON.parse(Buffer.from(part, 'base64url').toString());

/** A token whose payload was changed after signing (the signature no longer matches). */
function tampered(t, change) {
  const [header, payload, signature] = t.split('.');
  return [header, b64url({ ...decode(payload), ...change }), signature].join('.');
}

/** The same claims with `alg: none` and no signature. */
function unsigned(t) {
  const [, payload] = t.split('.');
  return `${b64url({ alg: 'none', typ: 'JWT' })}.${payload}.`;
}

const refused = {
  'no token': null,
  'a token that is not a JWT': 'not-a-token',
  'an expired token': () => mint({ ttl: '-2m' }),
  'a token not yet valid': () => mint({ notBefore: '1h', ttl: '2h' }),
  'a tampered token (org changed)': () => tampered(token, { org: 'someone-else' }),
  'a tampered token (roles raised)': () => tampered(mint({ roles: ['engineer'] }), { roles: ['admin'] }),
  'an unsigned token (alg none)': () => unsigned(token),
  'a token for another audience': () => mint({ audience: 'another-api' }),
  'a token from another issuer': () => mint({ issuer: 'https://evil.example' }),
  'a token without org': () => mint({ org: '' }),
  'a token with an org that is no valid id': () => mint({ org: 'a/b' }),
};
const resolve = v => (typeof v === 'function' ? v() : v);

async function post(query, t, accept = 'application/graphql-response+json') {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept, ...(t ? bearer(t) : {}) },
    body: JSON.stringify({ query }),
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

/** Opens a socket, sends connection_init with `payload`, resolves with 'ack' or the close code. */
function connect(payload) {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload })));
    socket.on('message', data => { if (JSON.parse(data.toString()).type === 'connection_ack') { resolve('ack'); socket.close(1000); } });
    socket.on('close', code => resolve(code));
    socket.on('error', reject);
  });
}

describe('HTTP: 401 UNAUTHENTICATED, never anonymous', () => {
  for (const [what, make] of Object.entries(refused)) {
    test(`${what} is refused`, limit, async () => {
      for (const accept of ['application/graphql-response+json', 'application/json']) {
        const { status, headers, body } = await post('mutation { configureProvider(input: { id: "auth-probe", name: "x" }) { id } }', resolve(make), accept);
        assert.equal(status, 401, JSON.stringify(body));
        assert.match(headers.get('www-authenticate') ?? '', /^Bearer/);
        assert.equal(body.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED', JSON.stringify(body));
        assert.equal(body.data, undefined);
      }
    });
  }

  test('none of the refused requests acted: the provider they tried to create does not exist', limit, async () => {
    const { body } = await post('{ providers { id } }', token);
    assert.deepEqual(body.errors, undefined);
    assert.ok(!body.data.providers.some(p => p.id === 'auth-probe'), JSON.stringify(body.data));
  });

  test('a valid token acts in its own org, as its sub', limit, async () => {
    const org = `auth-${Date.now().toString(36)}`;
    const mine = mint({ org, sub: 'alice@auth' });
    const created = await post('mutation { configureProvider(input: { id: "only-mine", name: "Mine" }) { id } }', mine);
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const other = await post('{ providers { id } }', mint({ org: `${org}-other` }));
    assert.deepEqual(other.body, { data: { providers: [] } }, 'an org with no data is empty, never another org');
    const own = await post('{ providers { id } }', mine);
    assert.deepEqual(own.body.data.providers.map(p => p.id), ['only-mine']);
  });

  test('a signed-in caller without the role gets FORBIDDEN, and nothing changes', limit, async () => {
    const org = `auth-${Date.now().toString(36)}-f`;
    const { status, body } = await post('mutation { configureProvider(input: { id: "nope", name: "No" }) { id } }', mint({ org, roles: ['engineer'] }));
    assert.equal(status, 400);
    assert.equal(body.errors[0].extensions.code, 'FORBIDDEN', JSON.stringify(body));
    const after = await post('{ providers { id } }', mint({ org }));
    assert.deepEqual(after.body.data.providers, []);
  });

  test('health and the GraphiQL page stay open', limit, async () => {
    assert.equal((await fetch(new URL('/healthz', url))).status, 200);
    const page = await fetch(url, { headers: { accept: 'text/html' } });
    assert.equal(page.status, 200);
    await page.body?.cancel();
  });
});

describe('WebSocket: connection_init without valid credentials closes with 4403', () => {
  for (const [what, make] of Object.entries(refused)) {
    test(`${what} is refused`, limit, async () => {
      const t = resolve(make);
      assert.equal(await connect(t ? { authorization: `Bearer ${t}` } : undefined), 4403);
    });
  }

  test('a valid token is acknowledged', limit, async () => {
    assert.equal(await connect({ authorization: `Bearer ${token}` }), 'ack');
  });

  test('a non-string authorization is refused', limit, async () => {
    assert.equal(await connect({ authorization: 42 }), 4403);
  });
});
