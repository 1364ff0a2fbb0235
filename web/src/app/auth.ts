// Signing in (CONTRACTS.md "Sign-in and browser session"): a development link carries the token in
// the URL fragment (/#token=…), which never reaches the server. The page removes it at once and
// trades it for an HttpOnly session cookie (POST /auth/session); from then on the browser's cookie
// authenticates every /graphql request and the WebSocket. No token is kept where a script can read it.
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
      if (exchanged.status === 401 || exchanged.status === 403) return { kind: 'signed-out', reason: 'link-rejected' };
    }
    const me = await fetch('/auth/me', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    if (me.ok && me.headers.get('content-type')?.includes('json')) {
      const body = await me.json();
      return {
        kind: 'signed-in',
        viewer: {
          org: body.org, sub: body.sub, name: body.name ?? body.sub, roles: body.roles ?? [],
          person: body.person ?? null, teams: body.teams ?? [], open: false,
        },
      };
    }
    if (me.status === 404) {
      // A server without authentication: every request acts anonymously in its one org.
      return { kind: 'signed-in', viewer: { org: '', sub: 'anonymous', name: 'Anonymous', roles: ['admin'], person: null, teams: [], open: true } };
    }
    return { kind: 'signed-out', reason: 'no-session' };
  } catch {
    return { kind: 'signed-out', reason: 'unreachable' };
  }
}

export async function signOut(): Promise<void> {
  await fetch('/auth/session', { method: 'DELETE', credentials: 'same-origin' }).catch(() => undefined);
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
