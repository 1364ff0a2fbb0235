import { useQuery } from 'urql';
import { Link } from 'wouter';
import { problemOf } from '../../api/errors';
import { count, money, when } from '../../app/format';
import { href, useSearchParams } from '../../app/url';
import { useTitle } from '../../app/useTitle';
import { Breadcrumbs } from './Breadcrumbs';
import { AttributionQuery, SessionQuery } from './operations';
import { useProviderNames } from '../../api/providers';
import { crumbScope, modeOf, rangeOf, scopeInput, scopeOf, scopeParams } from './scope';

/** One session, reached from the sessions table; its breadcrumbs are the scope it was opened from. */
export default function SessionPage({ id }: { id: string }) {
  const [params] = useSearchParams();
  const scope = scopeOf(params);
  const [{ data, error, fetching }] = useQuery({ query: SessionQuery, variables: { id } });
  const [{ data: crumbs }] = useQuery({
    query: AttributionQuery,
    variables: { scope: scopeInput(scope), range: rangeOf(params).value, costMode: modeOf(params).value },
  });
  const { name: providerNameOf } = useProviderNames();
  const s = data?.session;
  useTitle(`Session ${id}`);

  const keep = Object.fromEntries([...params.entries()].filter(([k]) => !['cc', 'team', 'project', 'person'].includes(k)));
  const path = crumbs?.attribution.breadcrumbs ?? [];
  const trail = [
    ...path.map((n, i) => ({ key: `${n.level}:${n.id ?? ''}`, label: n.name, href: href('/attribution', { ...keep, ...scopeParams(crumbScope(path, i)) }) })),
    { key: 'session', label: `Session ${id}` },
  ];
  const back = href('/attribution', Object.fromEntries(params.entries()));
  const providerName = s ? providerNameOf(s.providerId) : '';

  return (
    <section className="page" aria-labelledby="session-title">
      <Breadcrumbs crumbs={trail} />
      <h1 id="session-title">Session <span className="mono">{id}</span></h1>
      <p><Link href={back}>Back to the sessions</Link></p>
      {error && <p className="error" role="alert">{problemOf(error).message}</p>}
      {!s && !fetching && !error && <p role="status">There is no session with this id.</p>}
      {s && (
        <div className="grid-2">
          <div className="panel">
            <h2>Who and what</h2>
            <dl className="facts">
              <dt>Person</dt><dd>{s.person ? `${s.person.name}${s.person.email ? ` (${s.person.email})` : ''}` : <span className="muted">{s.subject} (not in the workforce)</span>}</dd>
              <dt>Provider</dt><dd>{providerName}</dd>
              <dt>Model</dt><dd className="mono">{s.model}</dd>
              <dt>Started</dt><dd>{when(s.startedAt)}</dd>
              <dt>Ended</dt><dd>{s.endedAt ? when(s.endedAt) : '—'}</dd>
              <dt>Turns</dt><dd>{s.turns ?? '—'}</dd>
              <dt>Project</dt><dd>{s.project ? <>{s.project.name} <span className="muted">({s.projectSource?.toLowerCase() ?? 'set'})</span></> : <span className="badge badge-gap">Unmatched</span>}</dd>
              <dt>Context</dt><dd>{[s.context?.repo, s.context?.path, s.context?.app].filter(Boolean).join(' · ') || '—'}</dd>
              {s.apiKeyId && <><dt>API key</dt><dd className="mono">{s.apiKeyId}</dd></>}
              <dt>Frustration</dt><dd>{s.frustration === null || s.frustration === undefined ? '—' : s.frustration.toFixed(2)}</dd>
            </dl>
          </div>
          <div className="panel">
            <h2>Cost and tokens</h2>
            <dl className="facts">
              <dt>Observed cost</dt><dd>{money(s.costUsd)}</dd>
              <dt>Market cost</dt><dd>{money(s.marketCostUsd)}</dd>
              <dt>Incremental cost</dt><dd>{money(s.incrementalCostUsd)}</dd>
              <dt>Input tokens</dt><dd>{count(s.inputTokens)}</dd>
              <dt>Cached input tokens</dt><dd>{count(s.cachedInputTokens)}</dd>
              <dt>Output tokens</dt><dd>{count(s.outputTokens)}</dd>
              <dt>Total tokens</dt><dd>{count(s.totalTokens)}</dd>
            </dl>
          </div>
        </div>
      )}
      {s?.content && (s.content.prompt || s.content.response) ? (
        <div className="grid-2">
          <section className="panel" aria-labelledby="prompt-title">
            <h2 id="prompt-title">Prompt</h2>
            {s.content.prompt ? <pre className="content">{s.content.prompt}</pre> : <p className="muted">The agent sent no prompt.</p>}
          </section>
          <section className="panel" aria-labelledby="response-title">
            <h2 id="response-title">Response</h2>
            {s.content.response ? <pre className="content">{s.content.response}</pre> : <p className="muted">The agent sent no response.</p>}
          </section>
        </div>
      ) : s && <p className="muted">Prompt and response are shown only to an admin or the session’s own person, in organisations on the Enterprise plan; there is none to show here.</p>}
    </section>
  );
}
