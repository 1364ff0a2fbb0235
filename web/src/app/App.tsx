import { lazy, Suspense, useEffect, type ReactNode } from 'react';
import { Link, Redirect, Route, Switch, useLocation } from 'wouter';
import { useClient } from 'urql';
import { canOpen, landingPath, signOut, type Page, type Viewer } from './auth';
import { ViewerContext } from './viewer';
import { ConnectionBanner } from './ConnectionBanner';
import { NoAccess } from '../ui/NoAccess';
import { currentMonth, isMonth } from './format';
import { ReconciliationPage } from '../pages/reconciliation/ReconciliationPage';
import { prefetchInbox } from '../pages/reconciliation/prefetch';

// The attribution dashboard and its charts load on their own, so the inbox never waits for them.
const AttributionPage = lazy(() => import('../pages/attribution/AttributionPage'));
const SessionPage = lazy(() => import('../pages/attribution/SessionPage'));
const MyUsagePage = lazy(() => import('../pages/me/MyUsagePage'));
const ProvidersPage = lazy(() => import('../pages/providers/ProvidersPage'));

// The inbox link names this month itself (what /reconciliation redirects to), so following it renders
// once, and it starts the inbox's query on the intent to follow it (pages/reconciliation/prefetch).
const nav: { page: Page; path: string; label: string }[] = [
  { page: 'attribution', path: '/attribution', label: 'Attribution' },
  { page: 'reconciliation', path: '/reconciliation', label: 'Reconciliation' },
  { page: 'me', path: '/me', label: 'My AI Usage' },
  { page: 'providers', path: '/providers', label: 'Providers' },
];

function Guarded({ viewer, page, children }: { viewer: Viewer; page: Page; children: ReactNode }) {
  return canOpen(viewer, page) ? <>{children}</> : <NoAccess page={page} />;
}

export function App({ viewer }: { viewer: Viewer }) {
  const [location] = useLocation();
  const client = useClient();
  const month = currentMonth();
  const prefetch = () => prefetchInbox(client, month);
  // A new view moves focus to its main region, so keyboard and screen-reader users start at the top.
  useEffect(() => { document.getElementById('main')?.focus({ preventScroll: true }); }, [location.split('?')[0]]);
  return (
    <ViewerContext.Provider value={viewer}>
      <a className="skip" href="#main">Skip to content</a>
      <header className="topbar">
        <Link href="/" className="brand">Flowstate</Link>
        <nav aria-label="Main">
          <ul>
            {nav.filter(n => canOpen(viewer, n.page)).map(n => (
              <li key={n.page}>
                {n.page === 'reconciliation' ? (
                  <Link href={`/reconciliation/${month}`} aria-current={location.startsWith(n.path) ? 'page' : undefined}
                        onPointerEnter={prefetch} onFocus={prefetch} onPointerDown={prefetch}>{n.label}</Link>
                ) : <Link href={n.path} aria-current={location.startsWith(n.path) ? 'page' : undefined}>{n.label}</Link>}
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          <span>{viewer.name}{viewer.roles.length > 0 && <span className="muted"> · {viewer.roles.join(', ')}</span>}</span>
          {!viewer.open && <button type="button" className="link" onClick={() => void signOut()}>Sign out</button>}
        </div>
      </header>
      <ConnectionBanner />
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<p className="loading" role="status">Loading…</p>}>
          <Switch>
            <Route path="/"><Redirect to={landingPath(viewer)} replace /></Route>
            <Route path="/reconciliation"><Redirect to={`/reconciliation/${currentMonth()}`} replace /></Route>
            <Route path="/reconciliation/:month">
              {params => (
                <Guarded viewer={viewer} page="reconciliation">
                  {isMonth(params.month) ? <ReconciliationPage month={params.month} /> : <Redirect to={`/reconciliation/${currentMonth()}`} replace />}
                </Guarded>
              )}
            </Route>
            <Route path="/attribution"><Guarded viewer={viewer} page="attribution"><AttributionPage /></Guarded></Route>
            <Route path="/attribution/sessions/:id">
              {params => <Guarded viewer={viewer} page="attribution"><SessionPage id={params.id} /></Guarded>}
            </Route>
            <Route path="/me"><Guarded viewer={viewer} page="me"><MyUsagePage /></Guarded></Route>
            <Route path="/providers"><Guarded viewer={viewer} page="providers"><ProvidersPage /></Guarded></Route>
            <Route><NotFound /></Route>
          </Switch>
        </Suspense>
      </main>
    </ViewerContext.Provider>
  );
}

function NotFound() {
  return (
    <section className="page">
      <h1>Page not found</h1>
      <p>There is no page at this address. <Link href="/">Go to the start page</Link>.</p>
    </section>
  );
}

export function SignedOut({ reason }: { reason: 'no-session' | 'link-rejected' | 'unreachable' }) {
  return (
    <main id="main" className="signin">
      <h1>Flowstate</h1>
      {reason === 'link-rejected' && <p role="alert">That sign-in link was not accepted: it may have expired, or it was made for another server.</p>}
      {reason === 'unreachable' && <p role="alert">Flowstate could not be reached. Check that the server is running, then reload this page.</p>}
      <p>You are not signed in.</p>
      <p>
        In development, open the sign-in link that <code>./flowstate up</code> prints, or make one for any role with{' '}
        <code>./flowstate token --roles finance</code> and open <code>{location.origin}/#token=&lt;token&gt;</code>.
      </p>
      <button type="button" onClick={() => location.reload()}>Try again</button>
    </main>
  );
}
