// Signing in (CONTRACTS.md "Sign-in and browser session"): a development link carries the token in
// the URL fragment (/#token=…), which never reaches the server. The page removes it at once and
// trades it for an HttpOnly session cookie (POST /auth/session); from then on the browser's cookie
// authenticates every /graphql request and the WebSocket. No token is kept where a script can read it.
// A server without browser sessions (no /auth/session) gets the token as a bearer header from this
// page's memory only, never from storage: it lasts until the page is reloaded.
export type Role = 'admin' | 'finance' | 'manager' | 'engineer' | 'integrator' | 'ops' | 'ingest';

export type Viewer = {
  org: string;
  sub: string;
  name: string;
  roles: Role[];
  person: string | null;
  teams: string[];
  /** The server has no sign-in (an API without authentication): everything is open. */
  open: boolean;
};

export type SignIn =
  | { kind: 'signed-in'; viewer: Viewer }
  | { kind: 'signed-out'; reason: 'no-session' | 'link-rejected' | 'unreachable' };

let bearer: string | null = null;

/** Authorization for requests, when the token is held in memory (a server without browser sessions). */
export const authHeaders = (): Record<string, string> => (bearer ? { Authorization: `Bearer ${bearer}` } : {});
/** The graphql-transport-ws connection_init payload, likewise. */
export const socketAuth = (): Record<string, string> | undefined => (bearer ? { authorization: `Bearer ${bearer}` } : undefined);

/** The claims of a JWT, read for display only (the server validates the token on every request). */
function claims(token: string): Record<string, unknown> {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(part), c => c.charCodeAt(0))));
  } catch { return {}; }
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' && v ? [v] : []);

function viewerOf(body: Record<string, unknown>): Viewer {
  return {
    org: String(body.org ?? ''), sub: String(body.sub ?? ''), name: String(body.name ?? body.sub ?? 'signed in'),
    roles: list(body.roles) as Role[], person: body.person ? String(body.person) : null, teams: list(body.teams), open: false,
  };
}

/** Takes a token out of the URL fragment, if there is one, leaving the rest of the URL as it was. */
export function takeFragmentToken(): string | null {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!match) return null;
  const rest = location.hash.slice(1).split('&').filter(p => !p.startsWith('token=')).join('&');
  history.replaceState(history.state, '', location.pathname + location.search + (rest ? `#${rest}` : ''));
  return decodeURIComponent(match[1]);
}

export async function signIn(): Promise<SignIn> {
  try {
    const token = takeFragmentToken();
    if (token) {
      const exchanged = await fetch('/auth/session', {
        method: 'POST', credentials: 'same-origin', headers: { Authorization: `Bearer ${token}` },
      });
      // Read to the end, so the request completes (an unread body keeps it open, and a page that waits for the network to settle waits for ever).
      await exchanged.arrayBuffer().catch(() => undefined);
      if (exchanged.status === 401 || exchanged.status === 403) return { kind: 'signed-out', reason: 'link-rejected' };
      if (exchanged.status === 404 || exchanged.status === 405) bearer = token;
    }
    const me = await fetch('/auth/me', { credentials: 'same-origin', headers: { Accept: 'application/json', ...authHeaders() } });
    if (me.ok && me.headers.get('content-type')?.includes('json')) return { kind: 'signed-in', viewer: viewerOf(await me.json()) };
    if (me.status === 401) return { kind: 'signed-out', reason: bearer ? 'link-rejected' : 'no-session' };
    // No /auth/me on this server: ask the API itself whether this caller (or anyone) may use it.
    const probe = await fetch('/graphql', {
      method: 'POST', credentials: 'same-origin',
      headers: { 'content-type': 'application/json', Accept: 'application/json', ...authHeaders() },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    if (!probe.ok) {
      bearer = null;
      return { kind: 'signed-out', reason: token ? 'link-rejected' : 'no-session' };
    }
    // The token's own claims say who this is; without a token, every request acts anonymously in the one org.
    if (bearer) return { kind: 'signed-in', viewer: viewerOf(claims(bearer)) };
    return { kind: 'signed-in', viewer: { org: '', sub: 'anonymous', name: 'Anonymous', roles: ['admin'], person: null, teams: [], open: true } };
  } catch {
    return { kind: 'signed-out', reason: 'unreachable' };
  }
}

export async function signOut(): Promise<void> {
  await fetch('/auth/session', { method: 'DELETE', credentials: 'same-origin' }).catch(() => undefined);
  bearer = null;
  location.assign('/');
}

/** The pages of the app and the roles that may open each (DESIGN §7). */
export type Page = 'reconciliation' | 'attribution' | 'me' | 'providers';

const pageRoles: Record<Page, Role[]> = {
  reconciliation: ['admin', 'finance', 'integrator'],
  attribution: ['admin', 'finance', 'manager'],
  me: ['admin', 'finance', 'manager', 'engineer'],
  providers: ['admin', 'finance'],
};

export const canOpen = (viewer: Viewer, page: Page) => viewer.roles.some(r => pageRoles[page].includes(r));
export const whoMayOpen = (page: Page) => pageRoles[page];
export const canActOnRows = (viewer: Viewer) => viewer.roles.some(r => r === 'admin' || r === 'finance');

/** Where "/" goes: the attribution dashboard for those who may see it, else their own usage. */
export function landingPath(viewer: Viewer): string {
  if (canOpen(viewer, 'attribution')) {
    const onlyTeams = !viewer.roles.some(r => r === 'admin' || r === 'finance') && viewer.teams.length > 0;
    return onlyTeams ? `/attribution?team=${encodeURIComponent(viewer.teams[0])}` : '/attribution';
  }
  if (canOpen(viewer, 'me')) return '/me';
  if (canOpen(viewer, 'reconciliation')) return '/reconciliation';
  return '/me';
}
