import { Link } from 'wouter';
import type { ScopeLevel } from '../../gql/graphql';

export type Crumb = { key: string; label: string; href?: string; level?: ScopeLevel };

/** The path from the org down to this view; every step but the last is a link back up. */
export function Breadcrumbs({ crumbs }: { crumbs: Crumb[] }) {
  return (
    <nav aria-label="Breadcrumb" className="breadcrumb">
      <ol>
        {crumbs.map((c, i) => (
          <li key={c.key}>
            {i < crumbs.length - 1 && c.href ? <Link href={c.href}>{c.label}</Link> : <span aria-current="page">{c.label}</span>}
          </li>
        ))}
      </ol>
    </nav>
  );
}
