import { Link } from 'wouter';
import { createColumnHelper } from '@tanstack/react-table';
import type { SessionOrder, SessionRowFragment, SessionSortField, SortDirection } from '../../gql/graphql';
import { countCompact, money, when } from '../../app/format';

const column = createColumnHelper<SessionRowFragment>();

/** Sortable columns and the API's sort field each stands for. */
export const sortFields: Record<string, SessionSortField> = { startedAt: 'STARTED_AT', model: 'MODEL', totalTokens: 'TOKENS', costUsd: 'COST' };
const sortParam: Record<SessionSortField, string> = { STARTED_AT: 'started', MODEL: 'model', TOKENS: 'tokens', COST: 'cost' };
const columnOf: Record<string, string> = { started: 'startedAt', model: 'model', tokens: 'totalTokens', cost: 'costUsd' };

/** ?sort=cost&dir=asc ↔ TanStack's sorting state ↔ SessionOrder (default: newest first). */
export function sortingOf(sort: string | null, dir: string | null) {
  return [{ id: columnOf[sort ?? ''] ?? 'startedAt', desc: (dir ?? 'desc') !== 'asc' }];
}
export function orderOf(sorting: { id: string; desc: boolean }[]): SessionOrder {
  const s = sorting[0] ?? { id: 'startedAt', desc: true };
  return { field: sortFields[s.id] ?? 'STARTED_AT', direction: (s.desc ? 'DESC' : 'ASC') as SortDirection };
}
export function sortParams(sorting: { id: string; desc: boolean }[]) {
  const order = orderOf(sorting);
  const isDefault = order.field === 'STARTED_AT' && order.direction === 'DESC';
  return { sort: isDefault ? undefined : sortParam[order.field], dir: isDefault ? undefined : order.direction.toLowerCase() };
}

export function sessionColumns(sessionHref: (id: string) => string, providerName: (id: string) => string) {
  return [
    column.accessor('startedAt', {
      header: 'Started', enableSorting: true, meta: { rowHeader: true },
      cell: c => <Link href={sessionHref(c.row.original.id)}>{when(c.getValue())}<span className="sr-only">, session {c.row.original.id}</span></Link>,
    }),
    column.accessor(r => r.person?.name ?? '—', { id: 'person', header: 'Person', enableSorting: false }),
    column.accessor('providerId', { header: 'Provider', enableSorting: false, cell: c => providerName(c.getValue()) }),
    column.accessor('model', { header: 'Model', enableSorting: true, cell: c => <span className="mono">{c.getValue()}</span> }),
    column.accessor(r => r.project?.name, { id: 'project', header: 'Project', enableSorting: false, cell: c => c.getValue() ?? <span className="badge badge-gap">Unmatched</span> }),
    column.accessor('totalTokens', { header: 'Tokens', enableSorting: true, meta: { numeric: true }, cell: c => countCompact(c.getValue()) }),
    column.accessor('costUsd', { header: 'Cost', enableSorting: true, meta: { numeric: true }, cell: c => money(c.getValue()) }),
  ];
}
