// The drill-down in the URL: ?cc=&team=&project=&person= (combinations allowed, like ScopeInput),
// plus range and cost mode. Children and breadcrumbs turn into scopes here.
import type { CostMode, DateRange, ScopeInput, ScopeLevel } from '../../gql/graphql';

export type Scope = { costCentreId?: string; teamId?: string; projectId?: string; personId?: string };
type Node = { level: ScopeLevel; id?: string | null };

export const ranges: { code: string; value: DateRange; label: string; long: string }[] = [
  { code: '7d', value: 'LAST_7_DAYS', label: '7d', long: 'Last 7 days' },
  { code: '30d', value: 'LAST_30_DAYS', label: '30d', long: 'Last 30 days' },
  { code: 'qtd', value: 'QUARTER_TO_DATE', label: 'QTD', long: 'Quarter to date' },
  { code: '1y', value: 'LAST_YEAR', label: '1Y', long: 'Last year' },
];
export const modes: { code: string; value: CostMode; label: string }[] = [
  { code: 'incremental', value: 'INCREMENTAL', label: 'Incremental' },
  { code: 'market', value: 'MARKET', label: 'Market' },
];

export const rangeOf = (p: URLSearchParams) => ranges.find(r => r.code === p.get('range')) ?? ranges[1];
export const modeOf = (p: URLSearchParams) => modes.find(m => m.code === p.get('mode')) ?? modes[0];

export function scopeOf(p: URLSearchParams): Scope {
  const s: Scope = {};
  if (p.get('cc')) s.costCentreId = p.get('cc')!;
  if (p.get('team')) s.teamId = p.get('team')!;
  if (p.get('project')) s.projectId = p.get('project')!;
  if (p.get('person')) s.personId = p.get('person')!;
  return s;
}

export const scopeParams = (s: Scope) => ({ cc: s.costCentreId, team: s.teamId, project: s.projectId, person: s.personId });

export const scopeInput = (s: Scope): ScopeInput | null => (Object.keys(s).length ? { ...s } : null);

/** One level down from `scope` into `node` (a child, a project bar, a team of the coverage list). */
export function drill(scope: Scope, node: Node): Scope {
  const id = node.id ?? undefined;
  switch (node.level) {
    case 'ORG': return {};
    case 'COST_CENTRE': return { costCentreId: id, projectId: scope.projectId };
    case 'TEAM': return { teamId: id, projectId: scope.projectId };
    case 'PROJECT': return { ...scope, projectId: id };
    case 'PERSON': return { ...scope, personId: id };
    case 'SESSION': return scope;   // a session is a page of its own (see sessionLink), not a scope
  }
}

/** The scope a breadcrumb stands for: the path from the org down to it. */
export function crumbScope(crumbs: Node[], index: number): Scope {
  return crumbs.slice(0, index + 1).reduce<Scope>((s, n) => {
    const id = n.id ?? undefined;
    if (n.level === 'COST_CENTRE') return { ...s, costCentreId: id };
    if (n.level === 'TEAM') { const { costCentreId: _, ...rest } = s; return { ...rest, teamId: id }; }
    if (n.level === 'PROJECT') return { ...s, projectId: id };
    if (n.level === 'PERSON') return { ...s, personId: id };
    return {};
  }, {});
}

export const levelLabel: Record<ScopeLevel, string> = {
  ORG: 'Organisation', COST_CENTRE: 'Cost centre', TEAM: 'Team', PROJECT: 'Project', PERSON: 'Person', SESSION: 'Session',
};
