import { useMemo, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import * as Ariakit from '@ariakit/react';
import { createColumnHelper, getCoreRowModel, useReactTable } from '@tanstack/react-table';
import type { DateRange, MyUsageQuery as MyUsageData } from '../../gql/graphql';
import { canOpen } from '../../app/auth';
import { isForbidden, problemOf, type Problem } from '../../api/errors';
import { count, countCompact, day, money, moneyTick, when } from '../../app/format';
import { joinStack, pageStack, useSearchParams } from '../../app/url';
import { useSticky } from '../../app/useSticky';
import { useTitle } from '../../app/useTitle';
import { useViewer } from '../../app/viewer';
import { BarChart, type Bar } from '../../ui/BarChart';
import { DataTable, Pager } from '../../ui/DataTable';
import { NoAccess } from '../../ui/NoAccess';
import { Segmented } from '../../ui/Segmented';
import { rangeOf, ranges } from '../attribution/scope';
import { useProviderNames } from '../../api/providers';
import { MarkSessionProject, MyProjectsSpendQuery, MyUsageQuery, PeoplePickerQuery, ProjectsQuery } from './operations';
import { ProjectPicker } from './ProjectPicker';

type Row = MyUsageData['myUsage']['sessions']['edges'][number]['node'];
const column = createColumnHelper<Row>();
const pageSize = 25;

/** My AI Usage: the caller's own spend and sessions; unmatched ones are marked with a project here. */
export default function MyUsagePage() {
  const viewer = useViewer();
  const [params, setParams] = useSearchParams();
  const personId = viewer.person ?? params.get('person');
  useTitle('My AI Usage');
  if (!personId) return <ChoosePerson onChoose={id => setParams({ person: id })} />;
  return <Usage personId={personId} params={params} setParams={setParams} showProjects={canOpen(viewer, 'attribution')} />;
}

function Usage({ personId, params, setParams, showProjects }: {
  personId: string; params: URLSearchParams; setParams: ReturnType<typeof useSearchParams>[1]; showProjects: boolean;
}) {
  const range = rangeOf(params);
  const unmatched = params.get('tab') === 'unmatched';
  const stack = pageStack(params.get('spage'));
  const [{ data, error, fetching }] = useQuery({
    query: MyUsageQuery,
    variables: { personId, range: range.value, unmatchedOnly: unmatched, first: pageSize, after: stack.at(-1) ?? null },
  });
  const [{ data: projectData }] = useQuery({ query: ProjectsQuery });
  const { providers: providerList, name: providerName } = useProviderNames();
  const [, mark] = useMutation(MarkSessionProject);
  const [problems, setProblems] = useState<Record<string, Problem | undefined>>({});
  const [marked, setMarked] = useState<Record<string, string>>({});
  const [announcement, setAnnouncement] = useState('');
  const usage = useSticky(data?.myUsage);
  const projects = projectData?.projects ?? [];

  async function pick(session: Row, project: { id: string; name: string }) {
    setProblems(p => ({ ...p, [session.id]: undefined }));
    const result = await mark({ input: { sessionId: session.id, projectId: project.id } });
    if (result.error) setProblems(p => ({ ...p, [session.id]: problemOf(result.error!) }));
    else {
      setMarked(m => ({ ...m, [session.id]: project.name }));
      setAnnouncement(`Session ${session.id} is now marked ${project.name}: its spend moved to the project.`);
    }
  }

  const columns = useMemo(() => [
    column.accessor('startedAt', { header: 'Started', meta: { rowHeader: true }, cell: c => when(c.getValue()) }),
    column.accessor('providerId', { header: 'Provider', cell: c => providerName(c.getValue()) }),
    column.accessor('model', { header: 'Model', cell: c => <span className="mono">{c.getValue()}</span> }),
    column.accessor(r => [r.context?.repo, r.context?.path, r.context?.app].filter(Boolean).join(' · '), { id: 'context', header: 'Working context', cell: c => c.getValue() || '—' }),
    column.accessor('totalTokens', { header: 'Tokens', meta: { numeric: true }, cell: c => countCompact(c.getValue()) }),
    column.accessor('costUsd', { header: 'Cost', meta: { numeric: true }, cell: c => money(c.getValue()) }),
    column.display({
      id: 'project', header: 'Project',
      cell: c => {
        const s = c.row.original;
        if (marked[s.id]) return <>Marked: {marked[s.id]}</>;
        if (s.project) return s.project.name;
        return <ProjectPicker label={`Project for session ${s.id}`} projects={projects} onPick={p => void pick(s, p)} />;
      },
    }),
  // eslint-disable-next-line react-hooks/exhaustive-deps
  ], [projects, marked, providerList]);

  const table = useReactTable({
    data: useMemo(() => usage?.sessions.edges.map(e => e.node) ?? [], [usage]),
    columns, getRowId: r => r.id, getCoreRowModel: getCoreRowModel(), manualPagination: true,
  });

  if (error && !data) {
    if (isForbidden(error)) return <NoAccess page="me" detail="You can see your own usage only." />;
    return <section className="page"><h1>My AI Usage</h1><p className="error" role="alert">{problemOf(error).message}</p></section>;
  }
  if (!usage) return <p className="loading" role="status">Loading your usage…</p>;

  return (
    <section className="page" aria-labelledby="me-title" aria-busy={fetching}>
      <div className="page-head">
        <h1 id="me-title">My AI Usage <span className="muted">· {usage.person.name}</span></h1>
        <Segmented legend="Range" value={range.value} onChange={v => setParams({ range: ranges.find(r => r.value === v)!.code, spage: undefined })}
                   options={ranges.map(r => ({ value: r.value, label: r.label, long: r.long }))} />
      </div>
      <p className="muted">{day(usage.range.start)} – {day(usage.range.end)}</p>
      <dl className="kpis">
        <div className="kpi"><dt>My spend (incremental)</dt><dd>{money(usage.incremental)}</dd></div>
        <div className="kpi"><dt>At market price</dt><dd>{money(usage.market)}</dd></div>
        <div className="kpi"><dt>Sessions</dt><dd>{count(usage.sessionCount)}</dd></div>
        <div className="kpi"><dt>Unmatched sessions</dt><dd>{count(usage.unmatchedCount)}</dd></div>
      </dl>
      <p role="status" className={announcement ? 'banner banner-ok' : 'sr-only'}>{announcement}</p>
      {showProjects && <MyProjects personId={personId} range={range.value} />}

      <Ariakit.TabProvider selectedId={unmatched ? 'unmatched' : 'all'}
                           setSelectedId={id => setParams({ tab: id === 'unmatched' ? 'unmatched' : undefined, spage: undefined }, { replace: true })}>
        <Ariakit.TabList className="tabs" aria-label="Sessions">
          <Ariakit.Tab id="all" className="tab">Sessions ({count(usage.sessionCount)})</Ariakit.Tab>
          <Ariakit.Tab id="unmatched" className="tab">Unmatched ({count(usage.unmatchedCount)})</Ariakit.Tab>
        </Ariakit.TabList>
        {(['all', 'unmatched'] as const).map(id => (
          <Ariakit.TabPanel key={id} tabId={id}>
            {id === 'unmatched' && <p className="muted">Sessions with no project. Mark one with its project: its spend moves to that project everywhere, and later sessions from the same working context get it automatically.</p>}
            {(id === 'unmatched') === unmatched && (
              <DataTable table={table} caption={id === 'unmatched' ? 'My unmatched sessions' : 'My sessions'} captionHidden
                         renderAfter={row => problems[row.id] && <p className="row-problem" role="alert">{problems[row.id]!.message}</p>}
                         empty={id === 'unmatched' ? 'No unmatched sessions in this window: every session has a project.' : 'No sessions in this window.'} />
            )}
          </Ariakit.TabPanel>
        ))}
      </Ariakit.TabProvider>
      <Pager label="Session pages" page={stack.length + 1} pageSize={pageSize} shown={usage.sessions.edges.length} total={usage.sessions.totalCount}
             hasNext={usage.sessions.pageInfo.hasNextPage}
             onPrevious={() => setParams({ spage: joinStack(stack.slice(0, -1)) })}
             onNext={() => setParams({ spage: joinStack([...stack, usage.sessions.pageInfo.endCursor ?? '']) })} />
    </section>
  );
}

function MyProjects({ personId, range }: { personId: string; range: DateRange }) {
  const [{ data }] = useQuery({ query: MyProjectsSpendQuery, variables: { personId, range } });
  const bars = useMemo<Bar[]>(() => (data?.attribution.byProject ?? []).map(p => ({ label: p.name, value: Number(p.amount), display: money(p.amount), highlight: p.key === 'unmatched' })), [data]);
  if (!data) return null;
  return <BarChart title="My spend by project (market cost)" bars={bars} valueLabel="Spend" formatTick={moneyTick} />;
}

/** Without a person of one's own (an admin, or a server without sign-in): whose usage to look at. */
function ChoosePerson({ onChoose }: { onChoose: (id: string) => void }) {
  const [{ data }] = useQuery({ query: PeoplePickerQuery });
  const people = (data?.attribution.topSpenders ?? []).filter(p => p.key.startsWith('p:'));
  return (
    <section className="page" aria-labelledby="me-title">
      <h1 id="me-title">My AI Usage</h1>
      <div className="notice">
        <p>Your sign-in is not linked to a person of the workforce, so there is no usage of your own to show.</p>
        {people.length > 0 && (
          <label>View the usage of{' '}
            <select defaultValue="" onChange={e => e.target.value && onChoose(e.target.value)}>
              <option value="" disabled>Choose a person…</option>
              {people.map(p => <option key={p.key} value={p.key.slice(2)}>{p.name}</option>)}
            </select>
          </label>
        )}
      </div>
    </section>
  );
}
