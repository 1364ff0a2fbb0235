import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useLocation } from 'wouter';
import { useClient, useQuery, useSubscription } from 'urql';
import * as Ariakit from '@ariakit/react';
import { createColumnHelper, getCoreRowModel, getExpandedRowModel, useReactTable, type ExpandedState } from '@tanstack/react-table';
import type { BucketCount, InboxRowFragment, RowStatus, SummaryFragment } from '../../gql/graphql';
import { onReconnect } from '../../api/client';
import { isForbidden, problemOf } from '../../api/errors';
import { addMonths, count, currentMonth, day, money, monthLabel, ratio, when } from '../../app/format';
import { href, joinStack, pageStack, useSearchParams } from '../../app/url';
import { canActOnRows } from '../../app/auth';
import { useViewer } from '../../app/viewer';
import { useTitle } from '../../app/useTitle';
import { DataTable, Pager } from '../../ui/DataTable';
import { NoAccess } from '../../ui/NoAccess';
import { StatusBadge } from '../../ui/StatusBadge';
import { BucketsQuery, InboxQuery, RowChanges, SummaryChanges } from './operations';
import { useProviderNames } from '../../api/providers';
import { allStatuses, formatStatuses, parseStatuses, statusLabel, toggleStatus } from './buckets';
import { NoteDialog, type NoteAction } from './NoteDialog';
import { useRowActions } from './useRowActions';
import { inboxPageSize, inboxVariables } from './prefetch';
import { MarkButton, RowMenuPopover, useRowMenu } from './RowMenu';

const pageSize = inboxPageSize;
const column = createColumnHelper<InboxRowFragment>();

export function ReconciliationPage({ month }: { month: string }) {
  const viewer = useViewer();
  const client = useClient();
  const [, navigate] = useLocation();
  const [params, setParams] = useSearchParams();
  const statuses = parseStatuses(params.get('status'));
  const provider = params.get('provider') ?? undefined;
  const stack = pageStack(params.get('page'));
  useTitle(`Reconciliation · ${monthLabel(month)}`);

  const [{ data, error, fetching }, reexecute] = useQuery({
    query: InboxQuery,
    variables: inboxVariables(month, statuses, provider, stack.at(-1)),
  });
  const { providers, name: providerName } = useProviderNames();

  // Chips are fetched again after every change of the month (ours, or another's seen on the summary
  // subscription); the summary row itself comes from the change's payload through the cache.
  const [fresh, setFresh] = useState<{ month: string; buckets: BucketCount[] } | null>(null);
  const refreshBuckets = useCallback(() => {
    void client.query(BucketsQuery, { period: month }, { requestPolicy: 'network-only' }).toPromise()
      .then(r => { if (r.data) setFresh({ month, buckets: r.data.reconciliation.buckets }); });
  }, [client, month]);
  useSubscription({ query: RowChanges, variables: { period: month } });
  useSubscription({ query: SummaryChanges, variables: { period: month } }, (_, event) => { refreshBuckets(); return event; });
  useEffect(() => onReconnect(() => { reexecute({ requestPolicy: 'network-only' }); refreshBuckets(); }), [reexecute, refreshBuckets]);

  const { act, problems, pending, dismiss } = useRowActions(refreshBuckets);
  const [menu, menuRowId] = useRowMenu();
  const [dialog, setDialog] = useState<{ row: InboxRowFragment; action: NoteAction } | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const rowElements = useRef(new Map<string, HTMLTableRowElement>());
  const focusRow = (id: string) => requestAnimationFrame(() => rowElements.current.get(id)?.focus());

  const canAct = canActOnRows(viewer);
  const reconciliation = data?.reconciliation;
  const rows = useMemo(() => reconciliation?.rows.edges.map(e => e.node) ?? [], [reconciliation]);
  const buckets = fresh?.month === month ? fresh.buckets : reconciliation?.buckets ?? [];
  const menuRow = menuRowId ? rows.find(r => r.id === menuRowId) : undefined;

  async function run(row: InboxRowFragment, action: 'CONFIRM' | 'DEFER' | 'UNDEFER') {
    const problem = await act(row, action);
    const done = { CONFIRM: 'matched', DEFER: 'deferred', UNDEFER: 'back from its deferral' }[action];
    setAnnouncement(problem ? `${row.externalId}: ${problem.message}` : `${row.externalId} ${done}.`);
    focusRow(row.id);
  }
  // The memoised cells call the latest run (it reads this month's act and announcements).
  const runRef = useRef(run);
  runRef.current = run;

  const [expanded, setExpanded] = useState<ExpandedState>({});
  const columns = useMemo(() => [
    column.accessor('externalId', {
      header: 'Row',
      meta: { rowHeader: true },
      cell: c => (
        <>
          <span className="strong">{providerName(c.row.original.providerId)}</span><br />
          <span className="muted mono">{c.getValue()}</span><br />
          <button type="button" className="btn btn-quiet" aria-expanded={c.row.getIsExpanded()} aria-controls={`trail-${c.row.original.id}`}
                  onClick={c.row.getToggleExpandedHandler()}>
            Audit trail ({c.row.original.auditTrail.length})
          </button>
        </>
      ),
    }),
    column.display({
      id: 'subject', header: 'Subject',
      cell: c => {
        const r = c.row.original;
        return r.subject ? <>{r.subject.name}{r.subject.email && <><br /><span className="muted email">{r.subject.email}</span></>}</>
          : r.account ? <>Account <span className="mono">{r.account}</span></> : <span className="muted">{r.subjectKey ?? 'unknown'}</span>;
      },
    }),
    column.accessor('usageDate', {
      header: 'Usage date',
      cell: c => (
        <>
          <span className="nowrap">{day(c.getValue())}</span>
          {c.row.original.provisional && <><br /><span className="tag" title="The provider has not settled this day yet: the amount may still change.">Provisional</span></>}
          {c.row.original.deferredFrom && <><br /><span className="muted">from {monthLabel(c.row.original.deferredFrom)}</span></>}
        </>
      ),
    }),
    column.accessor('totalCostUsd', { header: 'Billed', meta: { numeric: true }, cell: c => money(c.getValue()) }),
    column.accessor('observedCostUsd', { header: 'Observed', meta: { numeric: true }, cell: c => money(c.getValue()) }),
    column.accessor('delta', {
      header: 'Delta', meta: { numeric: true },
      cell: c => <span className={c.getValue().startsWith('-') ? 'neg' : c.getValue() === '0' ? undefined : 'pos'}>{money(c.getValue())}</span>,
    }),
    column.accessor('confidence', { header: 'Confidence', meta: { numeric: true }, cell: c => ratio(c.getValue()) }),
    column.accessor('matchReason', { header: 'Match reason', cell: c => <span className="reason">{c.getValue() ?? '—'}</span> }),
    column.accessor('status', { header: 'Status', cell: c => <StatusBadge status={c.getValue()} /> }),
    column.display({
      id: 'actions', header: 'Actions',
      cell: c => {
        const r = c.row.original;
        const busy = pending[r.id];
        const offers = (a: string) => canAct && r.availableActions.includes(a as never);
        return (
          <div className="row-actions">
            {offers('CONFIRM') && r.status !== 'UNRECONCILED' && <button type="button" className="btn btn-primary" disabled={!!busy} onClick={() => void runRef.current(r, 'CONFIRM')}>{busy === 'CONFIRM' ? 'Matching…' : 'Match'}</button>}
            {offers('CONFIRM') && r.status === 'UNRECONCILED' && <button type="button" className="btn btn-primary" disabled={!!busy} onClick={() => setDialog({ row: r, action: 'CONFIRM' })}>Confirm…</button>}
            {offers('UNDEFER') && <button type="button" className="btn" disabled={!!busy} onClick={() => void runRef.current(r, 'UNDEFER')}>{busy === 'UNDEFER' ? 'Undeferring…' : 'Undefer'}</button>}
            {(offers('WRITE_OFF') || offers('DEFER')) && <MarkButton menu={menu} row={r} disabled={!!busy} />}
            {offers('REOPEN') && <button type="button" className="btn" disabled={!!busy} onClick={() => setDialog({ row: r, action: 'REOPEN' })}>Reopen</button>}
          </div>
        );
      },
    }),
  // eslint-disable-next-line react-hooks/exhaustive-deps
  ], [providerName, pending, canAct, menu]);

  const table = useReactTable({
    data: rows, columns, state: { expanded }, onExpandedChange: setExpanded,
    getRowId: r => r.id, getRowCanExpand: () => true, enableSorting: false,
    getCoreRowModel: getCoreRowModel(), getExpandedRowModel: getExpandedRowModel(), manualPagination: true,
  });

  if (error && !data) {
    if (isForbidden(error)) return <NoAccess page="reconciliation" />;
    return <section className="page"><h1>Reconciliation</h1><p className="error" role="alert">{problemOf(error).message}</p></section>;
  }

  const summary = reconciliation?.summary;
  const setMonth = (m: string) => navigate(href(`/reconciliation/${m}`, { status: formatStatuses(statuses), provider }));
  const chosen = statuses.length === 0 ? 'every bucket' : statuses.map(s => statusLabel[s].toLowerCase()).join(', ');

  return (
    <section className="page" aria-labelledby="inbox-title">
      <div className="page-head">
        <h1 id="inbox-title">Reconciliation · {monthLabel(month)}</h1>
        <div className="month-picker" role="group" aria-label="Month">
          <button type="button" className="btn" onClick={() => setMonth(addMonths(month, -1))} aria-label="Previous month">‹</button>
          <label className="sr-only" htmlFor="month">Month</label>
          <input id="month" type="month" value={month} max={addMonths(currentMonth(), 1)} onChange={e => e.target.value && setMonth(e.target.value)} />
          <button type="button" className="btn" onClick={() => setMonth(addMonths(month, 1))} aria-label="Next month">›</button>
        </div>
      </div>

      <div className="chips" role="group" aria-label="Buckets">
        {allStatuses.map(status => {
          const b = buckets.find(x => x.status === status);
          const pressed = statuses.includes(status);
          return (
            <button key={status} type="button" className={`chip chip-${status.toLowerCase()}`} aria-pressed={pressed}
                    aria-label={`${statusLabel[status]} ${b?.count ?? 0}`} aria-describedby={`chip-amount-${status}`}
                    onClick={() => setParams({ status: formatStatuses(toggleStatus(statuses, status)), page: undefined })}>
              <span className="chip-name">{statusLabel[status]}</span>
              <span className="chip-count">{b ? count(b.count) : '…'}</span>
              <span className="chip-amount" id={`chip-amount-${status}`}>{b ? money(b.amount) : ''}</span>
            </button>
          );
        })}
      </div>

      <div className="filters">
        <label>Provider{' '}
          <select value={provider ?? ''} onChange={e => setParams({ provider: e.target.value || undefined, page: undefined })}>
            <option value="">All providers</option>
            {providers?.map(p => <option key={p.id} value={p.id}>{p.name}</option>)}
          </select>
        </label>
        {!canAct && <p className="muted">Read-only: your role can see the inbox but not act on rows.</p>}
        {fetching && <span className="muted" role="status">Updating…</span>}
      </div>

      <div role="status" aria-live="polite" className="sr-only">{announcement}</div>

      {reconciliation && rows.length === 0 && !stack.length ? (
        <EmptyState kind={reconciliation.emptyState} month={month} chosen={chosen} rowCount={summary?.rowCount ?? 0} />
      ) : (
        <DataTable
          table={table}
          caption={`Billing rows of ${monthLabel(month)} in ${chosen}`}
          captionHidden
          memoRows
          rowProps={row => ({
            tabIndex: -1,
            className: problems[row.id] ? 'has-problem' : undefined,
            ref: (el: HTMLTableRowElement | null) => { if (el) rowElements.current.set(row.id, el); else rowElements.current.delete(row.id); },
          })}
          renderAfter={row => {
            const problem = problems[row.id];
            return problem && (
              <div className="row-problem" role="alert">
                <span>{problem.message}</span>
                <button type="button" className="btn btn-quiet" onClick={() => dismiss(row.id)}>Dismiss</button>
              </div>
            );
          }}
          renderExpanded={row => <AuditTrail row={row.original} />}
          footer={summary && (
            <tr className="summary-row">
              <th scope="row" colSpan={3}>Month summary · {count(summary.rowCount)} rows</th>
              <td className="num"><span className="label">Billed</span> <span className="value">{money(summary.billed)}</span></td>
              <td className="num"><span className="label">Observed</span> <span className="value">{money(summary.observed)}</span></td>
              <td className="num" colSpan={2}><span className="label">Written off</span> <span className="value">{money(summary.writtenOff)}</span></td>
              <td className="num" colSpan={3}>
                <span className="label">Residual</span> <span className="value">{money(summary.residual)}</span>
                {summary.residualRatio !== null && summary.residualRatio !== undefined && (
                  <span className={summary.residualWarning ? 'warn' : 'muted'}> ({ratio(summary.residualRatio)} of billed{summary.residualWarning ? ', worth a look' : ''})</span>
                )}
              </td>
            </tr>
          )}
        />
      )}

      {reconciliation && (stack.length > 0 || reconciliation.rows.pageInfo.hasNextPage) && (
        <Pager label="Inbox pages" page={stack.length + 1} pageSize={pageSize} shown={rows.length} total={reconciliation.rows.totalCount}
               hasNext={reconciliation.rows.pageInfo.hasNextPage}
               onPrevious={() => setParams({ page: joinStack(stack.slice(0, -1)) })}
               onNext={() => setParams({ page: joinStack([...stack, reconciliation.rows.pageInfo.endCursor ?? '']) })}
               onFirst={() => setParams({ page: undefined })} />
      )}

      {summary && <ResidualCauses summary={summary} />}

      {canAct && (
        <p className="exports">Download {monthLabel(month)}:{' '}
          <a href={href('/exports/focus', { period: month })} download>confirmed ledger (FOCUS 1.2 CSV)</a> ·{' '}
          <a href={href('/exports/rows', { period: month })} download>all rows (CSV)</a>
        </p>
      )}

      {reconciliation && reconciliation.deferredIn.length > 0 && (
        <details className="deferred">
          <summary>Deferred into {monthLabel(month)} ({reconciliation.deferredIn.length})</summary>
          <ul>
            {reconciliation.deferredIn.map(r => (
              <li key={r.id}>{providerName(r.providerId)} · <span className="mono">{r.externalId}</span> · {r.subject?.name ?? r.account ?? ''} · {money(r.totalCostUsd)}{r.deferredFrom ? ` · from ${monthLabel(r.deferredFrom)}` : ''}</li>
            ))}
          </ul>
        </details>
      )}

      {reconciliation && reconciliation.deferredOut.length > 0 && (
        <details className="deferred">
          <summary>Deferred to {monthLabel(addMonths(month, 1))} ({reconciliation.deferredOut.length})</summary>
          <ul>
            {reconciliation.deferredOut.map(r => (
              <li key={r.id}>{providerName(r.providerId)} · <span className="mono">{r.externalId}</span> · {r.subject?.name ?? r.account ?? ''} · {money(r.totalCostUsd)}</li>
            ))}
          </ul>
        </details>
      )}

      {menuRow && (
        <RowMenuPopover menu={menu} label={`Mark ${menuRow.externalId}`}>
          {canAct && menuRow.availableActions.includes('WRITE_OFF') && <Ariakit.MenuItem className="menu-item" onClick={() => setDialog({ row: menuRow, action: 'WRITE_OFF' })}>Write off…</Ariakit.MenuItem>}
          {canAct && menuRow.availableActions.includes('DEFER') && <Ariakit.MenuItem className="menu-item" onClick={() => void run(menuRow, 'DEFER')}>Defer to {monthLabel(addMonths(menuRow.period, 1))}</Ariakit.MenuItem>}
        </RowMenuPopover>
      )}

      {dialog && (
        <NoteDialog
          row={dialog.row}
          action={dialog.action}
          providerName={providerName(dialog.row.providerId)}
          finalFocus={rowElements.current.get(dialog.row.id) ?? null}
          onClose={() => { const id = dialog.row.id; setDialog(null); focusRow(id); }}
          onSubmit={async note => {
            const problem = await act(dialog.row, dialog.action, note);
            // A conflict reloaded the row, which may no longer offer the action: say so beside the row.
            if (problem?.code === 'VERSION_CONFLICT' || problem?.code === 'INVALID_TRANSITION') { setDialog(null); focusRow(dialog.row.id); return null; }
            if (!problem) setAnnouncement(`${dialog.row.externalId} ${{ WRITE_OFF: 'written off', REOPEN: 'reopened', CONFIRM: 'confirmed against the contract' }[dialog.action]}.`);
            return problem;
          }}
        />
      )}
    </section>
  );
}

const causeLabel: Record<string, string> = {
  BILLING_LAG: 'Billing lag', ROUNDING: 'Rounding', SHARED_KEYS: 'Shared keys', IDLE_SEATS: 'Idle seats',
  PROVIDERS_WITHOUT_TELEMETRY: 'Providers without telemetry', UNSETTLED_DAYS: 'Unsettled days', ADJUSTMENTS: 'Credits and adjustments',
  UNEXPLAINED: 'Unexplained', PEOPLE_WITHOUT_TELEMETRY: 'People without telemetry', PRICE_VARIANCE: 'Price variance',
  WRITTEN_OFF_USAGE: 'Usage of written-off rows', DEFERRALS: 'Deferrals', PROVIDERS_WITHOUT_BILLING: 'Providers without billing',
};

/** The residual by cause (every cause with money or rows), adding up to the residual in the summary row. */
function ResidualCauses({ summary }: { summary: SummaryFragment }) {
  const parts = summary.residualByCause.filter(p => p.amount !== '0' || p.rows > 0);
  if (parts.length === 0) return null;
  return (
    <details className="panel causes">
      <summary>Residual {money(summary.residual)} by cause</summary>
      <table>
        <caption className="sr-only">The residual of the month by cause</caption>
        <thead><tr><th scope="col">Cause</th><th scope="col" className="num">Amount</th><th scope="col" className="num">Rows</th></tr></thead>
        <tbody>
          {parts.map(p => (
            <tr key={p.cause} className={p.cause === 'UNEXPLAINED' && p.amount !== '0' ? 'warn' : undefined}>
              <th scope="row">{causeLabel[p.cause] ?? p.cause}</th><td className="num">{money(p.amount)}</td><td className="num">{count(p.rows)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

function AuditTrail({ row }: { row: InboxRowFragment }) {
  return (
    <div id={`trail-${row.id}`} className="trail">
      <h2 className="trail-title">Audit trail of {row.externalId}</h2>
      <ol>
        {row.auditTrail.map(e => (
          <li key={e.version}>
            <span className="muted">{when(e.at)}</span> · <span>{e.actor}</span> ·{' '}
            {e.fromStatus ? statusLabel[e.fromStatus as RowStatus] : 'new'} → {statusLabel[e.toStatus as RowStatus]}
            {e.note && <> · “{e.note}”</>}
          </li>
        ))}
      </ol>
    </div>
  );
}

function EmptyState({ kind, month, chosen, rowCount }: { kind: string | null | undefined; month: string; chosen: string; rowCount: number }) {
  if (kind === 'NO_BILLING_PULL') {
    return (
      <div className="empty">
        <svg aria-hidden="true" viewBox="0 0 24 24" className="empty-icon pending"><circle cx="12" cy="12" r="10" /><path d="M12 6v6l4 2" /></svg>
        <h2>No bill for {monthLabel(month)} yet</h2>
        <p>The billing pull has not brought any row for this month yet, so there is nothing to reconcile. Providers shows each provider’s last pull and its errors.</p>
        <p><Link href="/providers">See providers and their billing pulls</Link> · <Link href={`/reconciliation/${addMonths(month, -1)}`}>Go to {monthLabel(addMonths(month, -1))}</Link></p>
      </div>
    );
  }
  return (
    <div className="empty">
      <svg aria-hidden="true" viewBox="0 0 24 24" className="empty-icon done"><circle cx="12" cy="12" r="10" /><path d="M7 12.5l3.2 3.2L17 9" /></svg>
      <h2>All clear</h2>
      <p>No rows of {monthLabel(month)} are in {chosen}. The month’s other {count(rowCount)} rows are in the other buckets.</p>
    </div>
  );
}
