import { useMemo } from 'react';
import { useLocation } from 'wouter';
import { useQuery } from 'urql';
import { getCoreRowModel, useReactTable, type SortingState, type Updater } from '@tanstack/react-table';
import type { SessionFilter } from '../../gql/graphql';
import type { Params } from '../../app/url';
import { href, joinStack, pageStack } from '../../app/url';
import { useSticky } from '../../app/useSticky';
import { problemOf } from '../../api/errors';
import { DataTable, Pager } from '../../ui/DataTable';
import { PeopleInScopeQuery, SessionsQuery } from './operations';
import { orderOf, sessionColumns, sortingOf, sortParams } from './sessionColumns';
import { scopeInput, type Scope } from './scope';
import type { DateRange } from '../../gql/graphql';

const pageSize = 25;

/** The sessions of the scope: server-side paging (keyset), a sort on every sortable column, filters. */
export function SessionsTable({ scope, range, params, setParams, providers, models, projects }: {
  scope: Scope;
  range: DateRange;
  params: URLSearchParams;
  setParams: (changes: Params, options?: { replace?: boolean }) => void;
  providers: { key: string; name: string }[];
  models: string[];
  projects: { key: string; name: string }[];
}) {
  const [, navigate] = useLocation();
  const sorting = sortingOf(params.get('sort'), params.get('dir'));
  const stack = pageStack(params.get('spage'));
  const filter: SessionFilter = {
    providerId: params.get('fprovider') || null,
    model: params.get('fmodel') || null,
    projectId: params.get('fproject') || null,
    personId: params.get('fperson') || null,
    unmatchedOnly: params.get('unmatched') === '1' || null,
  };
  const [{ data, error, fetching }] = useQuery({
    query: SessionsQuery,
    variables: { scope: scopeInput(scope), range, filter, orderBy: orderOf(sorting), first: pageSize, after: stack.at(-1) ?? null },
  });
  const [{ data: people }] = useQuery({ query: PeopleInScopeQuery, variables: { scope: scopeInput(scope), range } });
  const shown = useSticky(data?.sessions);
  const providerName = (id: string) => providers.find(p => p.key === id)?.name ?? id;
  const sessionHref = (id: string) => href(`/attribution/sessions/${encodeURIComponent(id)}`, Object.fromEntries(params.entries()));

  const columns = useMemo(() => sessionColumns(sessionHref, providerName),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [params.toString(), providers]);
  const table = useReactTable({
    data: useMemo(() => shown?.edges.map(e => e.node) ?? [], [shown]),
    columns,
    state: { sorting },
    manualSorting: true,
    manualPagination: true,
    enableSortingRemoval: false,
    sortDescFirst: true,
    onSortingChange: (u: Updater<SortingState>) => {
      const next = typeof u === 'function' ? u(sorting) : u;
      setParams({ ...sortParams(next), spage: undefined });
    },
    getRowId: r => r.id,
    getCoreRowModel: getCoreRowModel(),
  });

  const setFilter = (key: string, value: string | undefined) => setParams({ [key]: value || undefined, spage: undefined });
  const personOptions = (people?.attribution.topSpenders ?? []).filter(p => p.drillable);

  return (
    <section aria-labelledby="sessions-title" className="sessions">
      <h2 id="sessions-title">Sessions</h2>
      <div className="filters" role="group" aria-label="Session filters">
        <label>Provider
          <select value={filter.providerId ?? ''} onChange={e => setFilter('fprovider', e.target.value)}>
            <option value="">All</option>
            {providers.map(p => <option key={p.key} value={p.key}>{p.name}</option>)}
          </select>
        </label>
        <label>Model
          <select value={filter.model ?? ''} onChange={e => setFilter('fmodel', e.target.value)}>
            <option value="">All</option>
            {models.map(m => <option key={m} value={m}>{m}</option>)}
          </select>
        </label>
        <label>Project
          <select value={filter.projectId ?? ''} onChange={e => setFilter('fproject', e.target.value)}>
            <option value="">All</option>
            {projects.filter(p => p.key !== 'unmatched').map(p => <option key={p.key} value={p.key}>{p.name}</option>)}
          </select>
        </label>
        <label>Person
          <select value={filter.personId ?? ''} onChange={e => setFilter('fperson', e.target.value)}>
            <option value="">All</option>
            {personOptions.map(p => <option key={p.key} value={p.key}>{p.name}</option>)}
          </select>
        </label>
        <label className="check">
          <input type="checkbox" checked={!!filter.unmatchedOnly} onChange={e => setFilter('unmatched', e.target.checked ? '1' : undefined)} />
          Unmatched only
        </label>
        {fetching && <span className="muted" role="status">Loading sessions…</span>}
      </div>
      {error && <p className="error" role="alert">{problemOf(error).message}</p>}
      <div aria-busy={fetching}>
        <DataTable
          table={table}
          caption="Sessions in scope"
          captionHidden
          rowProps={row => ({
            className: 'clickable-row',
            onClick: (e: React.MouseEvent) => { if (!(e.target as HTMLElement).closest('a')) navigate(sessionHref(row.original.id)); },
          })}
          empty={shown ? 'No sessions match these filters in this window.' : 'Loading…'}
        />
      </div>
      {shown && (
        <Pager label="Session pages" page={stack.length + 1} pageSize={pageSize} shown={shown.edges.length} total={shown.totalCount}
               hasNext={shown.pageInfo.hasNextPage}
               onPrevious={() => setParams({ spage: joinStack(stack.slice(0, -1)) })}
               onNext={() => setParams({ spage: joinStack([...stack, shown.pageInfo.endCursor ?? '']) })}
               onFirst={() => setParams({ spage: undefined })} />
      )}
    </section>
  );
}
