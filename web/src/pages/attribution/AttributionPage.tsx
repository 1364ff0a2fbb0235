import { useEffect, useMemo, useState } from 'react';
import { Link, useLocation } from 'wouter';
import { useClient, useQuery } from 'urql';
import * as Ariakit from '@ariakit/react';
import type { AttributionQuery as AttributionData, CostMode, DateRange } from '../../gql/graphql';
import { isForbidden, problemOf } from '../../api/errors';
import { count, countCompact, day, money, moneyTick, numberTick, percentTick, ratio } from '../../app/format';
import { href, useSearchParams } from '../../app/url';
import { useSticky } from '../../app/useSticky';
import { useTitle } from '../../app/useTitle';
import { useViewer } from '../../app/viewer';
import { BarChart, type Bar } from '../../ui/BarChart';
import { NoAccess } from '../../ui/NoAccess';
import { Segmented } from '../../ui/Segmented';
import { Breadcrumbs } from './Breadcrumbs';
import { AttributionQuery, CostCentreTeamsQuery, OrgCoverageQuery } from './operations';
import { crumbScope, drill, levelLabel, modeOf, modes, rangeOf, ranges, scopeInput, scopeOf, scopeParams, type Scope } from './scope';
import { SessionsTable } from './SessionsTable';

type View = AttributionData['attribution'];
const tabs = [{ id: 'spend', label: 'Spend' }, { id: 'usage', label: 'Usage' }, { id: 'adoption', label: 'Adoption' }] as const;

export default function AttributionPage() {
  const viewer = useViewer();
  const [, navigate] = useLocation();
  const [params, setParams] = useSearchParams();
  const scope = scopeOf(params);
  const range = rangeOf(params);
  const mode = modeOf(params);
  const tab = tabs.find(t => t.id === params.get('tab'))?.id ?? 'spend';
  const [{ data, error, fetching }] = useQuery({
    query: AttributionQuery,
    variables: { scope: scopeInput(scope), range: range.value, costMode: mode.value },
  });
  const view = useSticky(data?.attribution);
  useTitle(view ? `Attribution · ${view.scope.name}` : 'Attribution');

  /** Where a scope lives, keeping range, cost mode and tab. */
  const linkTo = (s: Scope) => href('/attribution', { ...scopeParams(s), range: params.get('range') ?? undefined, mode: params.get('mode') ?? undefined, tab: params.get('tab') ?? undefined });

  if (error && !data) {
    if (isForbidden(error)) {
      return <NoAccess page="attribution" detail={viewer.teams.length ? `You can see the teams you manage: ${viewer.teams.join(', ')}.` : undefined} />;
    }
    return <section className="page"><h1>Attribution</h1><p className="error" role="alert">{problemOf(error).message}</p></section>;
  }
  if (!view) return <p className="loading" role="status">Loading attribution…</p>;

  const crumbs = view.breadcrumbs.map((n, i) => ({ key: `${n.level}:${n.id ?? ''}`, label: n.name, href: linkTo(crumbScope(view.breadcrumbs, i)) }));

  return (
    <section className="page" aria-labelledby="attr-title" aria-busy={fetching}>
      <Breadcrumbs crumbs={crumbs} />
      <div className="page-head">
        <h1 id="attr-title">{view.scope.name} <span className="muted">· {levelLabel[view.scope.level]}</span></h1>
        <div className="toolbar">
          <Segmented legend="Range" value={range.value} onChange={(v: DateRange) => setParams({ range: ranges.find(r => r.value === v)!.code, spage: undefined })}
                     options={ranges.map(r => ({ value: r.value, label: r.label, long: r.long }))} />
          <Segmented legend="Cost mode" value={mode.value} onChange={(v: CostMode) => setParams({ mode: modes.find(m => m.value === v)!.code })}
                     options={modes.map(m => ({ value: m.value, label: m.label }))} />
        </div>
      </div>
      <p className="muted">{day(view.range.start)} – {day(view.range.end)} · {mode.value === 'MARKET' ? 'market cost (tokens at list price)' : 'incremental cost (beyond plans’ included usage)'}
        {fetching && <span role="status"> · Updating…</span>}</p>

      {view.banner && (
        <div className="banner-amber" role="note" aria-label="Discovery">
          <strong>Still discovering:</strong> {view.banner.message}
          {view.banner.missing.length > 0 && <> Missing: {view.banner.missing.join('; ')}.</>}
        </div>
      )}

      <dl className="kpis">
        <div className="kpi"><dt>Total spend</dt><dd data-testid="total">{money(view.total)}</dd></div>
        <div className="kpi"><dt>Sessions</dt><dd>{countCompact(view.sessions)}</dd></div>
        <div className="kpi"><dt>Tokens</dt><dd>{countCompact(view.tokens)}</dd></div>
        <div className="kpi"><dt>Telemetry coverage</dt><dd>{ratio(view.coverage.ratio)} <span className="muted small">{view.coverage.reporting}/{view.coverage.headcount}</span></dd></div>
      </dl>

      <Ariakit.TabProvider selectedId={tab} setSelectedId={id => id && setParams({ tab: id === 'spend' ? undefined : id }, { replace: true })}>
        <Ariakit.TabList className="tabs" aria-label="Dashboard">
          {tabs.map(t => <Ariakit.Tab key={t.id} id={t.id} className="tab">{t.label}</Ariakit.Tab>)}
        </Ariakit.TabList>
        <Ariakit.TabPanel tabId="spend" unmountOnHide><SpendTab view={view} scope={scope} range={range.value} mode={mode.value} linkTo={linkTo} navigate={navigate} setParams={setParams} /></Ariakit.TabPanel>
        <Ariakit.TabPanel tabId="usage" unmountOnHide><UsageTab view={view} scope={scope} linkTo={linkTo} navigate={navigate} /></Ariakit.TabPanel>
        <Ariakit.TabPanel tabId="adoption" unmountOnHide><AdoptionTab view={view} range={range.value} linkTo={linkTo} navigate={navigate} /></Ariakit.TabPanel>
      </Ariakit.TabProvider>

      <Children view={view} scope={scope} linkTo={linkTo}
                sessionLink={id => href(`/attribution/sessions/${encodeURIComponent(id)}`, Object.fromEntries(params.entries()))} />

      <SessionsTable scope={scope} range={range.value} params={params} setParams={setParams}
                     providers={view.byProvider} projects={view.byProject} models={view.frustrationByModel.map(m => m.model)} />
    </section>
  );
}

type TabProps = { view: View; linkTo: (s: Scope) => string; navigate: (to: string) => void };

function share(amount: string, total: string) {
  const t = Number(total);
  return t > 0 ? Number(amount) / t : 0;
}

function SpendTab({ view, scope, range, mode, linkTo, navigate, setParams }: TabProps & {
  scope: Scope; range: DateRange; mode: CostMode; setParams: (p: Record<string, string | undefined>) => void;
}) {
  const client = useClient();
  const [teams, setTeams] = useState<Record<string, string[]>>({});
  const centres = view.byCostCentre;
  const key = JSON.stringify([scope, range, mode, centres.map(c => c.key)]);
  useEffect(() => {
    let live = true;
    void Promise.all(centres.filter(c => c.key !== 'unallocated').map(async c => {
      const r = await client.query(CostCentreTeamsQuery, { scope: { ...scopeInput(scope), costCentreId: c.key }, range, costMode: mode }).toPromise();
      return [c.key, (r.data?.attribution.children ?? []).map(t => `${t.scope.name}: ${money(t.amount)}`)] as const;
    })).then(entries => { if (live) setTeams(Object.fromEntries(entries)); });
    return () => { live = false; };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, client]);

  const projectBars = useMemo<Bar[]>(() => view.byProject.map(p => ({ label: p.name, value: Number(p.amount), display: money(p.amount), highlight: p.key === 'unmatched' })), [view.byProject]);
  const centreBars = useMemo<Bar[]>(() => centres.map(c => ({ label: c.name, value: Number(c.amount), display: money(c.amount), detail: teams[c.key] })), [centres, teams]);

  return (
    <>
      <h2 className="sr-only">Spend</h2>
      <ul className="cards" aria-label="Spend by provider">
        {view.byProvider.map(p => (
          <li key={p.key} className="card">
            <div className="name">{p.name}</div>
            <div className="amount">{money(p.amount)}</div>
            <div className="muted">{ratio(share(p.amount, view.total))} of spend</div>
          </li>
        ))}
      </ul>
      <div className="grid-2">
        <BarChart title="Spend by project" bars={projectBars} valueLabel="Spend" formatTick={moneyTick}
                  onSelect={i => {
                    const p = view.byProject[i];
                    if (p.key === 'unmatched') setParams({ unmatched: '1', spage: undefined });
                    else navigate(linkTo(drill(scope, { level: 'PROJECT', id: p.key })));
                  }} />
        <BarChart title="Cost by cost centre (hover for each team’s contribution)" bars={centreBars} valueLabel="Cost" formatTick={moneyTick}
                  onSelect={i => { const c = centres[i]; if (c.drillable) navigate(linkTo(drill(scope, { level: 'COST_CENTRE', id: c.key }))); }} />
      </div>
    </>
  );
}

function UsageTab({ view, scope, linkTo, navigate }: TabProps & { scope: Scope }) {
  const spenders = useMemo<Bar[]>(() => view.topSpenders.map(p => ({ label: p.name, value: Number(p.amount), display: money(p.amount) })), [view.topSpenders]);
  const frustration = useMemo<Bar[]>(() => view.frustrationByModel.map(m => ({
    label: m.model, value: m.frustration, display: `${m.frustration.toFixed(2)} (${count(m.sessions)} sessions)`, highlight: m.frustration >= 0.25,
  })), [view.frustrationByModel]);
  return (
    <>
      <h2 className="sr-only">Usage</h2>
      <div className="grid-2">
        <BarChart title="Top spenders" bars={spenders} valueLabel="Spend" formatTick={moneyTick}
                  onSelect={i => { const p = view.topSpenders[i]; if (p.drillable) navigate(linkTo(drill(scope, { level: 'PERSON', id: p.key }))); }} />
        <BarChart title="Frustration by model (mean of 0–1 signals; amber from 0.25)" bars={frustration} valueLabel="Frustration" formatTick={numberTick} max={1} />
      </div>
    </>
  );
}

function AdoptionTab({ view, range, linkTo, navigate }: TabProps & { range: DateRange }) {
  // Compared with the whole org; a caller who may not see the org (a manager) compares with the scope.
  const [{ data: org }] = useQuery({ query: OrgCoverageQuery, variables: { range } });
  const average = org?.attribution.coverage ?? view.coverage;
  const bars = useMemo<Bar[]>(() => view.coverageByTeam.map(t => ({
    label: t.team.name, value: t.ratio, display: `${ratio(t.ratio)} (${t.reporting} of ${t.headcount})`, highlight: t.ratio < average.ratio,
  })), [view.coverageByTeam, average.ratio]);
  return (
    <>
      <h2 className="sr-only">Adoption</h2>
      <p>Telemetry coverage: people sending data ÷ headcount. {org ? 'Organisation' : 'This scope’s'} average{' '}
        <strong>{ratio(average.ratio)}</strong> ({average.reporting} of {average.headcount} people); teams below it are amber.</p>
      <BarChart title="Telemetry coverage by team" bars={bars} valueLabel="Coverage" formatTick={percentTick} max={1} tall
                reference={{ value: average.ratio, label: `average ${ratio(average.ratio)}` }}
                onSelect={i => navigate(linkTo({ teamId: view.coverageByTeam[i].team.id ?? undefined }))} />
    </>
  );
}

function Children({ view, scope, linkTo, sessionLink }: { view: View; scope: Scope; linkTo: (s: Scope) => string; sessionLink: (id: string) => string }) {
  if (view.children.length === 0) return null;
  const max = Math.max(...view.children.map(c => Number(c.amount)), 0);
  return (
    <section aria-labelledby="children-title" className="children">
      <h2 id="children-title">Drill down</h2>
      {view.scope.level === 'PERSON' && <p className="muted">The most expensive sessions of {count(view.childCount)}; open one for its details.</p>}
      <div className="table-wrap" role="region" aria-label={`Inside ${view.scope.name}`} tabIndex={0}>
        <table>
          <caption className="sr-only">Inside {view.scope.name}</caption>
          <thead><tr><th scope="col">Name</th><th scope="col">Level</th><th scope="col" className="num">Spend</th><th scope="col">Share</th></tr></thead>
          <tbody>
            {view.children.map(c => (
              <tr key={`${c.scope.level}:${c.scope.id ?? c.scope.name}`}>
                <th scope="row">{!c.scope.id ? c.scope.name
                  : c.scope.level === 'SESSION' ? <Link href={sessionLink(c.scope.id)}>{c.scope.name}</Link>
                  : <Link href={linkTo(drill(scope, c.scope))}>{c.scope.name}</Link>}</th>
                <td>{levelLabel[c.scope.level]}</td>
                <td className="num">{money(c.amount)}</td>
                <td><div className="bar-cell"><div className="bar" style={{ width: `${max > 0 ? (Number(c.amount) / max) * 160 : 0}px` }} /><span className="muted">{ratio(share(c.amount, view.total))}</span></div></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
