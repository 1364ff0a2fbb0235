// The GraphQL client: urql with a normalised cache (graphcache), queries and mutations over HTTP,
// subscriptions over graphql-ws on the same path. Entities with an id (billing rows, sessions,
// people, projects, providers) and period summaries (keyed by period) are shared across every
// view, so a mutation's payload or a subscription event re-renders each place that shows them.
import { Client, fetchExchange, subscriptionExchange } from 'urql';
import { cacheExchange, type Cache } from '@urql/exchange-graphcache';
import { retryExchange } from '@urql/exchange-retry';
import { createClient as createWsClient } from 'graphql-ws';
import { connection, trackedFetch } from './connection';
import { socketAuth } from '../app/auth';

type Listener = () => void;
const reconnectListeners = new Set<Listener>();

/** Runs `listener` whenever the WebSocket comes back after a drop (events may have been missed). */
export function onReconnect(listener: Listener): () => void {
  reconnectListeners.add(listener);
  return () => { reconnectListeners.delete(listener); };
}

const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;

// The browser sends the session cookie with the upgrade; the page never holds a token itself.
export const ws = createWsClient({
  url: wsUrl,
  lazy: true,
  lazyCloseTimeout: 3_000,
  connectionParams: socketAuth,
  retryAttempts: Number.POSITIVE_INFINITY,
  shouldRetry: () => true,
  retryWait: async retries => { await new Promise(r => setTimeout(r, Math.min(500 * 2 ** retries, 5_000))); },
  on: {
    connected: (_socket, _payload, wasRetry) => {
      connection.reachable();
      if (wasRetry) reconnectListeners.forEach(l => l());
    },
    closed: event => {
      const code = (event as CloseEvent | undefined)?.code;
      if (code === 4401 || code === 4403) connection.signedOut();
    },
    error: () => connection.unreachable(),
  },
});

/** Drops every cached answer of these Query fields, so views showing them fetch again. */
function invalidateFields(cache: Cache, ...fields: string[]) {
  for (const f of cache.inspectFields('Query')) {
    if (fields.includes(f.fieldName)) cache.invalidate('Query', f.fieldName, f.arguments ?? undefined);
  }
}

const embedded = () => null;

export const client = new Client({
  url: '/graphql',
  fetch: trackedFetch,
  preferGetMethod: false,
  requestPolicy: 'cache-and-network',
  exchanges: [
    cacheExchange({
      keys: {
        PeriodSummary: s => s.period as string,
        Reconciliation: embedded, BucketCount: embedded, BillingRowConnection: embedded, BillingRowEdge: embedded,
        PageInfo: embedded, AuditEntry: embedded, RowActionPayload: embedded, RowStatusChange: embedded,
        Attribution: embedded, ScopeNode: embedded, DateWindow: embedded, DiscoveryBanner: embedded, Amount: embedded,
        ModelFrustration: embedded, Coverage: embedded, TeamCoverage: embedded, ScopeAmount: embedded,
        SessionConnection: embedded, SessionEdge: embedded, SessionContext: embedded, MyUsage: embedded,
        ModelPrice: embedded, IngestRun: embedded, ResidualPart: embedded, Integration: embedded, MonitoringGap: embedded, SessionContent: embedded,
      },
      updates: {
        Mutation: {
          // A marked session moves spend in every rollup and out of the unmatched lists.
          markSessionProject: (_result, _args, cache) => invalidateFields(cache, 'attribution', 'myUsage', 'sessions'),
        },
      },
    }),
    retryExchange({
      initialDelayMs: 500,
      maxDelayMs: 5_000,
      randomDelay: true,
      maxNumberAttempts: Number.POSITIVE_INFINITY,
      // Reads retry until the API answers; a mutation is never sent twice behind the user's back.
      retryIf: (error, operation) => !!error.networkError && operation.kind !== 'mutation',
    }),
    fetchExchange,
    subscriptionExchange({
      forwardSubscription: request => ({
        subscribe: sink => ({ unsubscribe: ws.subscribe({ ...request, query: request.query ?? '' }, sink) }),
      }),
    }),
  ],
});
