using Flowstate.Attribution;

namespace Flowstate.Domain;

/// <summary>Days <c>From</c> (inclusive) to <c>Until</c> (exclusive) on which a person's sessions belong to a scope.</summary>
public sealed record MemberInterval(string PersonId, DateOnly From, DateOnly Until);

/// <summary>
/// Which sessions a team or cost-centre scope holds. A session belongs to a team's sub-tree (or a
/// cost centre) when, on the session's UTC day, its person had an allocation with FTE above zero
/// to a team of that sub-tree (or of that cost centre). That is exactly the set of sessions that
/// contribute to the scope's spend in the attribution view, so the table lists what the total
/// adds up from; someone who joined the team mid-window appears only with the sessions since.
/// </summary>
public static class SessionScopes
{
    /// <summary>Null when the scope names no team or cost centre (no membership restriction).</summary>
    public static IReadOnlyList<MemberInterval>? Members(WorkforceModel model, Scope scope, DateWindow window)
    {
        if (scope.TeamId is null && scope.CostCentreId is null) return null;
        var teams = scope.TeamId is { } team ? model.Subtree(team) : model.Snapshot.Teams.Keys.ToHashSet(StringComparer.Ordinal);
        if (scope.CostCentreId is { } cc) teams.RemoveWhere(t => model.CostCentreOf(t) != cc);
        var people = scope.PersonId is { } p ? [model.Snapshot.People[p]] : model.Snapshot.People.Values;
        var until = window.End.AddDays(1);
        var result = new List<MemberInterval>();
        foreach (var person in people)
        {
            // Each effective date starts a new set of allocations; only the sets in force during the window matter.
            var starts = person.Allocations.Select(a => a.EffectiveFrom).Where(d => d > window.Start && d <= window.End)
                .Append(window.Start).Distinct().Order().ToList();
            DateOnly? open = null;
            foreach (var start in starts)
            {
                var member = WorkforceModel.AllocationsOn(person, start).Any(a => a.Fte > 0 && teams.Contains(a.TeamId));
                if (member && open is null) open = start;
                else if (!member && open is { } from)
                {
                    result.Add(new MemberInterval(person.Id, from, start));
                    open = null;
                }
            }
            if (open is { } last) result.Add(new MemberInterval(person.Id, last, until));
        }
        return result;
    }
}
