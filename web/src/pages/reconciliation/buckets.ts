import type { RowStatus } from '../../gql/graphql';

export const allStatuses: RowStatus[] = ['UNRECONCILED', 'SUGGESTED', 'AUTO_MATCHED', 'CONFIRMED', 'WRITTEN_OFF', 'DEFERRED'];

export const statusLabel: Record<RowStatus, string> = {
  UNRECONCILED: 'Unreconciled',
  SUGGESTED: 'Suggested',
  AUTO_MATCHED: 'Auto-matched',
  CONFIRMED: 'Confirmed',
  WRITTEN_OFF: 'Written off',
  DEFERRED: 'Deferred',
};

/** The chips chosen in the URL (?status=A,B; "all" for every bucket); the inbox opens on unreconciled only. */
export function parseStatuses(value: string | null): RowStatus[] {
  if (value === null) return ['UNRECONCILED'];
  if (value === 'all') return [];
  const chosen = value.split(',').filter((s): s is RowStatus => (allStatuses as string[]).includes(s));
  return chosen.length ? allStatuses.filter(s => chosen.includes(s)) : ['UNRECONCILED'];
}

export function formatStatuses(statuses: RowStatus[]): string | undefined {
  if (statuses.length === 0) return 'all';
  if (statuses.length === 1 && statuses[0] === 'UNRECONCILED') return undefined;
  return statuses.join(',');
}

export function toggleStatus(statuses: RowStatus[], status: RowStatus): RowStatus[] {
  return statuses.includes(status) ? statuses.filter(s => s !== status) : allStatuses.filter(s => s === status || statuses.includes(s));
}
