import { useQuery } from 'urql';
import { graphql } from '../../gql';
import type { CoverageState, ProvidersQuery } from '../../gql/graphql';
import { isForbidden, problemOf } from '../../api/errors';
import { count, money, ratio, when } from '../../app/format';
import { useTitle } from '../../app/useTitle';
import { NoAccess } from '../../ui/NoAccess';

const Providers = graphql(`
  query Providers {
    providers {
      id name modality seatFeeUsd includedUsageUsd discount coverage
      lastBillingPull { at accepted duplicates rejected errors }
      lastTelemetry { at accepted duplicates rejected errors }
    }
  }
`);

type Provider = ProvidersQuery['providers'][number];
type Run = Provider['lastBillingPull'];

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

/** Each provider's coverage state, its last billing pull and telemetry, and the monitoring gaps. */
export default function ProvidersPage() {
  useTitle('Providers');
  const [{ data, error }] = useQuery({ query: Providers });
  if (error && !data) {
    if (isForbidden(error)) return <NoAccess page="providers" />;
    return <section className="page"><h1>Providers</h1><p className="error" role="alert">{problemOf(error).message}</p></section>;
  }
  const providers = data?.providers ?? [];
  const gaps = providers.filter(p => states[p.coverage].gap);
  return (
    <section className="page" aria-labelledby="providers-title">
      <h1 id="providers-title">Providers</h1>
      {!data && <p className="loading" role="status">Loading providers…</p>}
      {data && (
        <>
          <section aria-labelledby="gaps-title" className="panel">
            <h2 id="gaps-title">Monitoring gaps</h2>
            {gaps.length === 0 ? <p>None: every provider sends both bills and telemetry.</p> : (
              <ul>{gaps.map(p => <li key={p.id}><strong>{p.name}</strong>: {states[p.coverage].gap}.</li>)}</ul>
            )}
          </section>
          <div className="table-wrap" role="region" aria-label="Providers" tabIndex={0}>
            <table>
              <caption className="sr-only">Providers, their coverage and their last runs</caption>
              <thead>
                <tr>
                  <th scope="col">Provider</th><th scope="col">Coverage</th><th scope="col">Last billing pull</th>
                  <th scope="col">Last telemetry</th><th scope="col">Plan</th>
                </tr>
              </thead>
              <tbody>
                {providers.map(p => (
                  <tr key={p.id}>
                    <th scope="row"><span className="strong">{p.name}</span><br /><span className="muted">{p.modality ?? ''} · <span className="mono">{p.id}</span></span></th>
                    <td><span className={`badge ${states[p.coverage].gap ? 'badge-gap' : 'badge-confirmed'}`}>{states[p.coverage].label}</span></td>
                    <td><RunCell run={p.lastBillingPull} what="billing pull" /></td>
                    <td><RunCell run={p.lastTelemetry} what="telemetry" /></td>
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
