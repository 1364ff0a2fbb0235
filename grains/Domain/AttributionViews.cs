using Flowstate.Attribution;
using Flowstate.Workforce;

namespace Flowstate.Domain;

/// <summary>
/// Turns summed rollups into the attribution view of a scope: which rollup holds the scope, and
/// the view's totals, breakdowns, coverage, children and breadcrumbs. Pure: no grains, no I/O.
/// </summary>
public static class AttributionViews
{
    private const string Unmatched = "unmatched", Unallocated = "unallocated";

    /// <summary>
    /// Throws NOT_FOUND for the first id of the scope the workforce does not know, and
    /// INVALID_INPUT for a team combined with a cost centre none of its sub-tree belongs to (a
    /// combination that can only ever be empty, not a scope with no spend yet).
    /// </summary>
    public static void Validate(WorkforceModel model, Scope scope)
    {
        var workforce = model.Snapshot;
        static void Require(bool known, string kind, string? id)
        {
            if (!known) throw FlowstateException.NotFound($"No {kind} with id '{id}'.");
        }
        if (scope.CostCentreId is { } cc) Require(workforce.CostCentres.ContainsKey(cc), "cost centre", cc);
        if (scope.TeamId is { } team) Require(workforce.Teams.ContainsKey(team), "team", team);
        if (scope.ProjectId is { } project) Require(workforce.Projects.ContainsKey(project), "project", project);
        if (scope.PersonId is { } person) Require(workforce.People.ContainsKey(person), "person", person);
        if (scope is { TeamId: { } t, CostCentreId: { } c } && !model.Subtree(t).Any(x => model.CostCentreOf(x) == c))
            throw FlowstateException.InvalidInput(
                $"Team '{t}' is in cost centre '{model.CostCentreOf(t) ?? "none"}', and none of its sub-teams is in '{c}': drop one of the two.");
    }

    /// <summary>
    /// Where a scope's figures live: the person's subject-months, else the team's, project's, cost
    /// centre's or org's rollup, in that order (the smallest holder), narrowed by the other filters.
    /// </summary>
    public static (string? Rollup, string? Subject, SliceFilter Filter) SourceOf(WorkforceModel model, Scope scope)
    {
        if (scope.PersonId is { } person)
            return (null, SubjectKeys.Person(person), new SliceFilter(scope.ProjectId, scope.CostCentreId, scope.TeamId is { } t ? model.Subtree(t) : null));
        if (scope.TeamId is { } team) return (RollupKeys.Team(team), null, new SliceFilter(scope.ProjectId, scope.CostCentreId));
        if (scope.ProjectId is { } project) return (RollupKeys.Project(project), null, new SliceFilter(CostCentreId: scope.CostCentreId));
        if (scope.CostCentreId is { } cc) return (RollupKeys.CostCentre(cc), null, SliceFilter.None);
        return (RollupKeys.Org, null, SliceFilter.None);
    }

    public static AttributionView Build(string org, WorkforceModel model, AttributionRequest request, DateWindow window, RollupSlice slice,
                                        IReadOnlyDictionary<string, string> providerNames, DiscoveryBanner? banner)
    {
        var w = model.Snapshot;
        var mode = request.CostMode;
        var scope = request.Scope;
        decimal Cost(UsageMetrics m) => m.Cost(mode);

        var bySubject = slice.ByTeamSubject.GroupBy(e => e.Key.Subject)
            .ToDictionary(g => g.Key, g => g.Aggregate(default(UsageMetrics), (m, e) => m + e.Value));
        var reporters = bySubject.Where(e => e.Value.HasSessions).Select(e => SubjectKeys.PersonIdOf(e.Key)).OfType<string>().ToHashSet();
        var headcount = Headcount(model, scope, window.End);

        var crumbs = Breadcrumbs(org, model, scope);
        return new AttributionView(
            crumbs[^1], crumbs, window, mode, banner, Cost(slice.Total),
            Amounts(slice.ByProvider, id => (id, providerNames.GetValueOrDefault(id) ?? id, false), mode),
            Amounts(slice.ByProject, id => id == "" ? (Unmatched, "Unmatched", false)
                : (id, w.Projects.GetValueOrDefault(id)?.Name ?? id, w.Projects.ContainsKey(id)), mode),
            Amounts(slice.ByCostCentre, id => id == "" ? (Unallocated, "Unallocated", false)
                : (id, w.CostCentres.GetValueOrDefault(id)?.Name ?? id, w.CostCentres.ContainsKey(id)), mode),
            Amounts(bySubject, s => Spender(w, s), mode).Take(AttributionRequest.MaxTopSpenders).ToList(),
            slice.ByModel.Where(m => m.Value.HasSessions).OrderBy(m => m.Key, StringComparer.Ordinal)
                .Select(m => new ModelFrustration(m.Key, m.Value.Frustration, (int)Math.Round(m.Value.Sessions, MidpointRounding.AwayFromZero))).ToList(),
            new Coverage(headcount.Count, headcount.Count(reporters.Contains)),
            TeamsInScope(model, scope, window.End)
                .Select(t => (Team: t, Members: (model.MembersOn(window.End).GetValueOrDefault(t) ?? []).Where(headcount.Contains).ToList()))
                .Where(t => t.Members.Count > 0)
                .Select(t => new TeamCoverage(new ScopeNode(ScopeLevel.Team, t.Team, w.Teams[t.Team].Name), new Coverage(t.Members.Count, t.Members.Count(reporters.Contains))))
                .OrderBy(t => t.Team.Name, StringComparer.Ordinal).ToList(),
            Children(model, scope, slice, bySubject, mode),
            slice.Total.Sessions, slice.Total.Tokens,
            ByModel: Amounts(slice.ByModel, id => (id, id, false), mode));
    }

    /// <summary>A chart's bars: each dimension key becomes the public key, name and drillability <paramref name="describe"/> gives it.</summary>
    private static List<Amount> Amounts(IReadOnlyDictionary<string, UsageMetrics> map, Func<string, (string Key, string Name, bool Drillable)> describe, CostMode mode) =>
        map.Select(e => { var (key, name, drillable) = describe(e.Key); return new Amount(key, name, e.Value.Cost(mode), drillable); })
           .OrderByDescending(a => a.Value).ThenBy(a => a.Name, StringComparer.Ordinal).ToList();

    /// <summary>A person of the workforce is keyed by their id (a person scope); anyone else keeps the subject key and cannot be drilled into.</summary>
    private static (string Key, string Name, bool Drillable) Spender(WorkforceSnapshot w, string subject) =>
        SubjectKeys.PersonIdOf(subject) is { } id && w.People.TryGetValue(id, out var p) ? (id, p.Name, true)
        : (subject, subject.Length > 2 ? $"{subject[2..]} (not in the workforce)" : subject, false);

    /// <summary>People in the scope on a day: the org's, narrowed to a team's sub-tree and a cost centre's teams; a person is their own.</summary>
    public static HashSet<string> Headcount(WorkforceModel model, Scope scope, DateOnly day)
    {
        if (scope.PersonId is { } person) return [person];
        if (scope.TeamId is null && scope.CostCentreId is null) return model.Snapshot.People.Keys.ToHashSet(StringComparer.Ordinal);
        var members = model.MembersOn(day);
        var teams = scope.TeamId is { } team ? model.Subtree(team) : model.Snapshot.Teams.Keys.ToHashSet(StringComparer.Ordinal);
        if (scope.CostCentreId is { } cc) teams.RemoveWhere(t => model.CostCentreOf(t) != cc);
        return teams.SelectMany(t => members.GetValueOrDefault(t) ?? []).ToHashSet(StringComparer.Ordinal);
    }

    private static IEnumerable<string> TeamsInScope(WorkforceModel model, Scope scope, DateOnly day)
    {
        IEnumerable<string> teams = scope switch
        {
            { PersonId: { } p } => WorkforceModel.AllocationsOn(model.Snapshot.People[p], day).Select(a => a.TeamId).Distinct(),
            { TeamId: { } t } => model.Subtree(t),
            _ => model.Snapshot.Teams.Keys,
        };
        return scope.CostCentreId is { } cc ? teams.Where(t => model.CostCentreOf(t) == cc) : teams;
    }

    /// <summary>
    /// One level down, as a partition of the scope's total: org → cost centres; cost centre → its
    /// first-level teams; team → sub-teams and the team's own members; project (with any team or
    /// cost centre) → people; a person → nothing (their sessions are the next level).
    /// </summary>
    private static List<ScopeAmount> Children(WorkforceModel model, Scope scope, RollupSlice slice,
                                              Dictionary<string, UsageMetrics> bySubject, CostMode mode)
    {
        var w = model.Snapshot;
        decimal TeamsSum(IReadOnlySet<string> teams) =>
            slice.ByTeamSubject.Where(e => e.Key.TeamId is { } t && teams.Contains(t)).Sum(e => e.Value.Cost(mode));
        List<ScopeAmount> People(IEnumerable<KeyValuePair<string, UsageMetrics>> subjects)
        {
            var list = new List<ScopeAmount>();
            var outside = 0m;
            foreach (var (subject, m) in subjects)
            {
                if (SubjectKeys.PersonIdOf(subject) is { } id && w.People.TryGetValue(id, out var p))
                    list.Add(new ScopeAmount(new ScopeNode(ScopeLevel.Person, id, p.Name), m.Cost(mode)));
                else outside += m.Cost(mode);
            }
            if (outside != 0) list.Add(new ScopeAmount(new ScopeNode(ScopeLevel.Person, null, "Not in the workforce"), outside));
            return list;
        }

        var children = new List<ScopeAmount>();
        switch (scope)
        {
            case { PersonId: not null }:
                break;
            case { ProjectId: not null }:
                children.AddRange(People(bySubject));
                break;
            case { TeamId: { } team }:
                foreach (var child in model.ChildTeams(team))
                    children.Add(new ScopeAmount(new ScopeNode(ScopeLevel.Team, child, w.Teams[child].Name), TeamsSum(model.Subtree(child))));
                children.AddRange(People(slice.ByTeamSubject.Where(e => e.Key.TeamId == team)
                    .GroupBy(e => e.Key.Subject).Select(g => KeyValuePair.Create(g.Key, g.Aggregate(default(UsageMetrics), (m, e) => m + e.Value)))));
                break;
            case { CostCentreId: { } cc }:
                foreach (var top in model.TopTeamsOf(cc))
                    children.Add(new ScopeAmount(new ScopeNode(ScopeLevel.Team, top, w.Teams[top].Name), TeamsSum(model.Subtree(top))));
                var rest = slice.Total.Cost(mode) - children.Sum(c => c.Amount);
                if (rest != 0) children.Add(new ScopeAmount(new ScopeNode(ScopeLevel.Team, null, "Teams no longer in this cost centre"), rest));
                break;
            default:
                foreach (var (cc, m) in slice.ByCostCentre)
                    children.Add(new ScopeAmount(cc == "" ? new ScopeNode(ScopeLevel.CostCentre, null, "Unallocated")
                        : new ScopeNode(ScopeLevel.CostCentre, cc, w.CostCentres.GetValueOrDefault(cc)?.Name ?? cc), m.Cost(mode)));
                break;
        }
        return children.Where(c => c.Amount != 0).OrderByDescending(c => c.Amount).ThenBy(c => c.Scope.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>From the org down to the scope: cost centre, the team's ancestors and the team, project, person.</summary>
    public static List<ScopeNode> Breadcrumbs(string org, WorkforceModel model, Scope scope)
    {
        var w = model.Snapshot;
        var crumbs = new List<ScopeNode> { new(ScopeLevel.Org, null, org) };
        if ((scope.CostCentreId ?? (scope.TeamId is { } t ? model.CostCentreOf(t) : null)) is { } cc)
            crumbs.Add(new ScopeNode(ScopeLevel.CostCentre, cc, w.CostCentres.GetValueOrDefault(cc)?.Name ?? cc));
        if (scope.TeamId is { } team)
            crumbs.AddRange(model.PathToRoot(team).Reverse().Select(id => new ScopeNode(ScopeLevel.Team, id, w.Teams[id].Name)));
        if (scope.ProjectId is { } project) crumbs.Add(new ScopeNode(ScopeLevel.Project, project, w.Projects[project].Name));
        if (scope.PersonId is { } person) crumbs.Add(new ScopeNode(ScopeLevel.Person, person, w.People[person].Name));
        return crumbs;
    }
}
