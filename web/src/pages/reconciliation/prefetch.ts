// The inbox's first page, started on the intent to open it (a pointer over, or focus on, a link to
// it), so the query runs while the app is still tearing the last view down and building this one.
// urql shares an operation in flight: the page's own query joins the prefetch instead of sending a
// second request, and an answer that is already in the cache renders at once and is revalidated.
import type { Client } from 'urql';
import type { RowStatus } from '../../gql/graphql';
import { ProviderNamesQuery } from '../../api/providers';
import { parseStatuses } from './buckets';
import { InboxQuery } from './operations';

export const inboxPageSize = 50;

/** The Inbox query's variables: the page and the prefetch build them here, so they are the same operation. */
export function inboxVariables(month: string, statuses: RowStatus[], provider: string | undefined, after: string | undefined) {
  return { period: month, statuses, provider: provider ?? null, first: inboxPageSize, after: after ?? null };
}

const recent = new Map<string, number>();

/** Starts the query of `month`'s inbox as its link opens it (unreconciled rows, every provider, the first page). */
export function prefetchInbox(client: Client, month: string) {
  const now = Date.now();
  // Hovering back and forth over a link asks once; a later intent asks again (the rows may have moved).
  if (now - (recent.get(month) ?? 0) < 10_000) return;
  recent.set(month, now);
  void client.query(InboxQuery, inboxVariables(month, parseStatuses(null), undefined, undefined)).toPromise();
  void client.query(ProviderNamesQuery, {}).toPromise();
}
