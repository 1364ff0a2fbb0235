// How the conformance tests sign in: development tokens from the silo's own `token` verb (signed with
// the development key of the silo's database, FLOWSTATE_DB), exactly what `./flowstate token` prints.
// run.sh mints FLOWSTATE_TOKEN (an admin of the org "conformance") once; mint() makes others.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const siloDll = process.env.SILO_DLL || fileURLToPath(new URL('../../silo/bin/Release/net10.0/Flowstate.Silo.dll', import.meta.url));

/** The org the conformance tests act in. */
export const ORG = 'conformance';
/** The `sub` of the default token: the actor of every change the tests make. */
export const SUB = 'conformance-admin';

/**
 * One token from the silo's token verb. Options map to its flags: org, roles (array), sub, name, person,
 * teams (array), ttl ('12h', '-1m' for an expired one), notBefore, issuer, audience. org: '' leaves the claim out.
 */
export function mint({ org = ORG, roles = ['admin'], sub, name, person, teams, ttl, notBefore, issuer, audience } = {}) {
  const args = ['--org', org, '--roles', roles.join(',')];
  for (const [flag, value] of [['--sub', sub], ['--name', name], ['--person', person], ['--teams', teams?.join(',')],
    ['--ttl', ttl], ['--not-before', notBefore], ['--issuer', issuer], ['--audience', audience]]) {
    if (value !== undefined) args.push(flag, value);
  }
  return execFileSync('dotnet', [siloDll, 'token', ...args], {
    env: { ...process.env, DOTNET_ENVIRONMENT: process.env.DOTNET_ENVIRONMENT || 'Development' },
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

/** The admin token of ORG (run.sh's, else minted now). */
export const token = process.env.FLOWSTATE_TOKEN || mint({ sub: SUB });

/** The Authorization header of a token. */
export const bearer = (t = token) => ({ authorization: `Bearer ${t}` });

/** fetch, signed in: adds the Authorization header to whatever headers the caller set. */
export function signedFetch(input, init = {}, t = token) {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${t}`);
  return fetch(input, { ...init, headers });
}

/** graphql-ws connectionParams (the connection_init payload) of a token. */
export const connectionParams = (t = token) => ({ authorization: `Bearer ${t}` });
