using Flowstate.Attribution;
using Flowstate.Workforce;

namespace Flowstate.Domain;

/// <summary>
/// A person's next level in the drill-down: their sessions. The view lists the most expensive
/// ones and one remainder ("N more sessions", not drillable), so the children still add up to the
/// person's total. In a scope that combines the person with a team or cost centre, each session
/// counts by the FTE share the person had in that scope on the session's day, as the rollups do.
/// </summary>
public static class SessionChildren
{
    /// <summary>How many sessions a person's view lists by name.</summary>
    public const int Listed = 10;

    public static List<ScopeAmount> Of(WorkforceModel model, Scope scope, CostMode mode, decimal total, IReadOnlyList<SessionView> top, int count)
    {
        var person = model.Snapshot.People[scope.PersonId!];
        var teams = ScopeTeams(model, scope);
        var children = top
            .Select(s => new ScopeAmount(new ScopeNode(ScopeLevel.Session, s.Id, $"{s.Model} · {s.StartedAt.UtcDateTime:yyyy-MM-dd HH:mm}"),
                Cost(s, mode) * Share(person, teams, DateOnly.FromDateTime(s.StartedAt.UtcDateTime))))
            .Where(c => c.Amount != 0)
            .ToList();
        var rest = total - children.Sum(c => c.Amount);
        if (count > top.Count && rest != 0)
            children.Add(new ScopeAmount(new ScopeNode(ScopeLevel.Session, null, $"{count - top.Count} more session(s)"), rest));
        return children.OrderByDescending(c => c.Amount).ThenBy(c => c.Scope.Name, StringComparer.Ordinal).ToList();
    }

    private static decimal Cost(SessionView s, CostMode mode) => mode == CostMode.Market ? s.MarketCostUsd : s.IncrementalCostUsd ?? s.CostUsd;

    /// <summary>The teams a combined scope allows; null when the scope is the person alone (their whole usage).</summary>
    private static HashSet<string>? ScopeTeams(WorkforceModel model, Scope scope)
    {
        if (scope.TeamId is null && scope.CostCentreId is null) return null;
        var teams = scope.TeamId is { } t ? model.Subtree(t) : model.Snapshot.Teams.Keys.ToHashSet(StringComparer.Ordinal);
        if (scope.CostCentreId is { } cc) teams.RemoveWhere(x => model.CostCentreOf(x) != cc);
        return teams;
    }

    private static decimal Share(Person person, HashSet<string>? teams, DateOnly day) =>
        teams is null ? 1m : WorkforceModel.AllocationsOn(person, day).Where(a => teams.Contains(a.TeamId)).Sum(a => a.Fte);
}
