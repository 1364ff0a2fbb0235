import { useEffect } from 'react';
import { useQuery } from 'urql';
import { graphql } from '../../gql';
import type { CoverageState, ProvidersQuery } from '../../gql/graphql';
import { isForbidden, problemOf } from '../../api/errors';
import { count, money, ratio, titleCase, when } from '../../app/format';
import { useTitle } from '../../app/useTitle';
import { NoAccess } from '../../ui/NoAccess';

const Providers = graphql(`
  query Providers {
    providers {
      id name modality seatFeeUsd includedUsageUsd discount coverage
      lastBillingPull { at accepted duplicates rejected errors }
      telemetryStatus {
        lastRun { at accepted duplicates rejected errors status }
        lastReceived { at accepted duplicates rejected }
        foldLagSeconds unfoldedItems
      }
      integration {
        kind state lastRunAt nextRunAt lastError failingSince
        runs(first: 1) { status finishedAt rowsCreated rowsUpdated rowsUnchanged rowsRejected rowsAdjusted error }
      }
    }
  }
`);

const Gaps = graphql(`
  query MonitoringGaps {
    monitoringGaps { kind providerId message since }
  }
`);

type Provider = ProvidersQuery['providers'][number];
type Run = Provider['lastBillingPull'];
type Integration = NonNullable<Provider['integration']>;
type Telemetry = Provider['telemetryStatus'];

/** While a feed's items wait to be folded, the page asks again this often (the lag moves by the second). */
const foldRefreshMs = 5_000;

/** The providers' own names for their admin APIs (a constant's title case would say "Openai"). */
const kindLabel: Record<NonNullable<Integration['kind']>, string> = {
  OPENAI: 'OpenAI', ANTHROPIC: 'Anthropic', CURSOR: 'Cursor', GITHUB_COPILOT: 'GitHub Copilot',
};

const stateLabel: Record<Integration['state'], string> = {
  NOT_CONFIGURED: 'Not configured', SCHEDULED: 'Scheduled', RUNNING: 'Running', FAILING: 'Failing',
};

const states: Record<CoverageState, { label: string; explain: string; gap?: string }> = {
  BILLING_AND_TELEMETRY: {
    label: 'Billing and telemetry',
    explain: 'Bills arrive and usage is observed: every row can be reconciled against sessions, and spend is attributed to people and projects.',
  },
  BILLING_ONLY: {
    label: 'Billing only',
    explain: 'Bills arrive but no usage is observed: rows cannot be matched to sessions, and spend cannot be attributed below the bill.',
    gap: 'no telemetry: rows cannot be matched and spend is not attributed',
  },
  TELEMETRY_ONLY: {
    label: 'Telemetry only',
    explain: 'Usage is observed but no bill arrives: spend is estimated from tokens and prices and never checked against an invoice.',
    gap: 'no billing pull: observed spend is never checked against a bill',
  },
  NOT_MONITORED: {
    label: 'Not monitored',
    explain: 'Neither bills nor usage have arrived recently: a monitoring gap in the AI estate.',
    gap: 'no bills and no telemetry recently',
  },
};

function RunCell({ run, what }: { run: Run; what: string }) {
  if (!run) return <span className="muted">No {what} yet</span>;
  return (
    <>
      {when(run.at)}<br />
      <span className="muted">{count(run.accepted)} accepted · {count(run.duplicates)} unchanged · {count(run.rejected)} rejected</span>
      {run.errors.length > 0 && <ul className="error">{run.errors.slice(0, 3).map(e => <li key={e}>{e}</li>)}</ul>}
    </>
  );
}

/** "12 s", "4 min 5 s", "2 h 10 min": how long the oldest unfolded item has waited. */
function lag(seconds: number): string {
  if (seconds < 1) return 'under 1 s';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/**
 * The telemetry feed: when data last arrived, whether the fold (sessions and attribution) has caught
 * up with it, and the last batch when it brought nothing (every item rejected) so a refused feed
 * never reads as a working one.
 */
function TelemetryCell({ status }: { status: Telemetry }) {
  const { lastRun, lastReceived, foldLagSeconds, unfoldedItems } = status;
  if (!lastRun && !lastReceived) return <span className="muted">No telemetry yet</span>;
  const refused = lastRun && lastRun.at !== lastReceived?.at ? lastRun : null;
  return (
    <>
      {lastReceived ? (
        <>
          Received {when(lastReceived.at)}<br />
          <span className="muted">{count(lastReceived.accepted)} accepted · {count(lastReceived.duplicates)} unchanged · {count(lastReceived.rejected)} rejected</span>
        </>
      ) : <span className="muted">Nothing received yet</span>}
      <br />
      {unfoldedItems > 0
        ? <span className="fold fold-behind">Folding: {lag(foldLagSeconds)} behind, {count(unfoldedItems)} item{unfoldedItems === 1 ? '' : 's'}</span>
        : <span className="fold">Folded: up to date</span>}
      {refused && (
        <div className="error">
          Last batch {when(refused.at)} {refused.status === 'FAILED' ? 'failed' : titleCase(refused.status).toLowerCase()}: {count(refused.rejected)} rejected
          {refused.errors.length > 0 && <ul>{refused.errors.slice(0, 3).map(e => <li key={e}>{e}</li>)}</ul>}
        </div>
      )}
    </>
  );
}

/** The provider's billing connector: its state, its last run and when the next one starts. */
function IntegrationCell({ integration }: { integration: Provider['integration'] }) {
  if (!integration?.kind) return <span className="muted">No connector: bills arrive by ingest or FOCUS import</span>;
  const last = integration.runs[0];
  return (
    <>
      <span className="strong">{kindLabel[integration.kind]}</span>{' '}
      <span className={`badge ${integration.state === 'FAILING' ? 'badge-gap' : 'badge-confirmed'}`}>{stateLabel[integration.state]}</span><br />
      {last ? (
        <span className="muted">
          Last run {titleCase(last.status)}{last.finishedAt ? `, ${when(last.finishedAt)}` : ''}: {count(last.rowsCreated)} new · {count(last.rowsUpdated)} updated
          {last.rowsAdjusted > 0 ? ` · ${count(last.rowsAdjusted)} adjusted` : ''}{last.rowsRejected > 0 ? ` · ${count(last.rowsRejected)} rejected` : ''}
        </span>
      ) : <span className="muted">No run yet</span>}
      {integration.nextRunAt && <><br /><span className="muted">Next run {when(integration.nextRunAt)}</span></>}
      {integration.lastError && <p className="error">{integration.failingSince ? `Failing since ${when(integration.failingSince)}: ` : ''}{integration.lastError}</p>}
    </>
  );
}

/** Each provider's coverage state, its connector, its last billing pull and telemetry, and the monitoring gaps. */
export default function ProvidersPage() {
  useTitle('Providers');
  const [{ data, error }, reexecute] = useQuery({ query: Providers });
  // A fold that is behind is watched until it catches up.
  const folding = data?.providers.some(p => p.telemetryStatus.unfoldedItems > 0) ?? false;
  useEffect(() => {
    if (!folding) return;
    const timer = setInterval(() => reexecute({ requestPolicy: 'network-only' }), foldRefreshMs);
    return () => clearInterval(timer);
  }, [folding, reexecute]);
  // The gaps the API finds (quiet seats, failing connectors too) for the roles that may see them; else the coverage's own.
  const [{ data: gapData }] = useQuery({ query: Gaps });
  if (error && !data) {
    if (isForbidden(error)) return <NoAccess page="providers" />;
    return <section className="page"><h1>Providers</h1><p className="error" role="alert">{problemOf(error).message}</p></section>;
  }
  const providers = data?.providers ?? [];
  const gaps = providers.filter(p => states[p.coverage].gap);
  const named = new Map(providers.map(p => [p.id, p.name]));
  // What the coverage cannot say: failing connectors, and seats billed with no session (counted per provider).
  const failing = gapData?.monitoringGaps.filter(g => g.kind === 'CONNECTOR_FAILING') ?? [];
  const quiet = [...(gapData?.monitoringGaps.filter(g => g.kind === 'QUIET_SEAT') ?? [])
    .reduce((m, g) => m.set(g.providerId, (m.get(g.providerId) ?? 0) + 1), new Map<string, number>())];
  return (
    <section className="page" aria-labelledby="providers-title">
      <h1 id="providers-title">Providers</h1>
      {!data && <p className="loading" role="status">Loading providers…</p>}
      {data && (
        <>
          <section aria-labelledby="gaps-title" className="panel">
            <h2 id="gaps-title">Monitoring gaps</h2>
            {gaps.length + failing.length + quiet.length === 0 ? <p>None: every provider sends both bills and telemetry, and every connector runs.</p> : (
              <ul>
                {gaps.map(p => <li key={p.id}><strong>{p.name}</strong>: {states[p.coverage].gap}.</li>)}
                {failing.map(g => <li key={`failing-${g.providerId}`}><strong>{named.get(g.providerId) ?? g.providerId}</strong>: {g.message}</li>)}
                {quiet.map(([id, n]) => (
                  <li key={`quiet-${id}`}><strong>{named.get(id) ?? id}</strong>: {count(n)} seat{n === 1 ? '' : 's'} billed this month with no session observed (idle or trial seats to reclaim, or agents without telemetry).</li>
                ))}
              </ul>
            )}
          </section>
          <div className="table-wrap" role="region" aria-label="Providers" tabIndex={0}>
            <table>
              <caption className="sr-only">Providers, their coverage, their last runs and their telemetry feeds</caption>
              <thead>
                <tr>
                  <th scope="col">Provider</th><th scope="col">Coverage</th><th scope="col">Connector</th><th scope="col">Last billing pull</th>
                  <th scope="col">Telemetry</th><th scope="col">Plan</th>
                </tr>
              </thead>
              <tbody>
                {providers.map(p => (
                  <tr key={p.id}>
                    <th scope="row"><span className="strong">{p.name}</span><br /><span className="muted">{p.modality ?? ''} · <span className="mono">{p.id}</span></span></th>
                    <td><span className={`badge ${states[p.coverage].gap ? 'badge-gap' : 'badge-confirmed'}`}>{states[p.coverage].label}</span></td>
                    <td><IntegrationCell integration={p.integration} /></td>
                    <td><RunCell run={p.lastBillingPull} what="billing pull" /></td>
                    <td><TelemetryCell status={p.telemetryStatus} /></td>
                    <td>
                      {Number(p.seatFeeUsd) > 0 && <>Seat {money(p.seatFeeUsd)}/month<br /></>}
                      {Number(p.includedUsageUsd) > 0 && <>Includes {money(p.includedUsageUsd)}/seat<br /></>}
                      {Number(p.discount) > 0 ? <>Discount {ratio(Number(p.discount))}</> : <span className="muted">List price</span>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      <section aria-labelledby="states-title" className="panel" style={{ marginTop: 12 }}>
        <h2 id="states-title">The four coverage states</h2>
        <dl className="states">
          {(Object.keys(states) as CoverageState[]).map(s => (
            <div key={s}><dt>{states[s].label}</dt><dd>{states[s].explain}</dd></div>
          ))}
        </dl>
        <p className="muted">Coverage comes from fresh data (bills or telemetry in the last days), not from whether a feed was ever set up: a feed that stops ages out.</p>
      </section>
    </section>
  );
}
