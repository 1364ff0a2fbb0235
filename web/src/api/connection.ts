// Whether the API answers. The fetch wrapper and the WebSocket report what they see; the banner
// (app/ConnectionBanner) shows "can't reach Flowstate" while it is down, and queries retry on their
// own (retryExchange) until it answers again.
import { useSyncExternalStore } from 'react';
import { authHeaders } from '../app/auth';

export type ConnectionState = { reachable: boolean; since: number; signedOut: boolean };

let state: ConnectionState = { reachable: true, since: Date.now(), signedOut: false };
const listeners = new Set<() => void>();

function set(next: Partial<ConnectionState>) {
  const merged = { ...state, ...next };
  if (merged.reachable === state.reachable && merged.signedOut === state.signedOut) return;
  state = { ...merged, since: merged.reachable !== state.reachable ? Date.now() : state.since };
  listeners.forEach(l => l());
}

export const connection = {
  reachable: () => set({ reachable: true }),
  unreachable: () => set({ reachable: false }),
  signedOut: () => set({ signedOut: true }),
  get: () => state,
  subscribe(listener: () => void) {
    listeners.add(listener);
    return () => { listeners.delete(listener); };
  },
};

export function useConnection(): ConnectionState {
  return useSyncExternalStore(connection.subscribe, connection.get);
}

/** fetch for the GraphQL client: same-origin cookie, and every answer (or its absence) reported. */
export async function trackedFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(input, { ...init, credentials: 'same-origin', headers: { ...(init?.headers as Record<string, string>), ...authHeaders() } });
  } catch (e) {
    connection.unreachable();
    throw e;
  }
  // A gateway or load balancer answering for a silo that is down is "unreachable" too.
  if (response.status === 502 || response.status === 504) connection.unreachable();
  else connection.reachable();
  if (response.status === 401) connection.signedOut();
  return response;
}
