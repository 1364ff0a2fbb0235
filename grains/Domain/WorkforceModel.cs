using Flowstate.Attribution;
using Flowstate.Workforce;

namespace Flowstate.Domain;

/// <summary>
/// Questions about one version of an org's workforce: the team tree, effective cost centres,
/// who is allocated where on a day, and how a subject's month splits over teams (its rollup
/// plan). Built once per snapshot and shared; it never changes.
/// </summary>
public sealed class WorkforceModel
{
    private readonly Dictionary<string, List<string>> _childTeams = new(StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, IReadOnlyList<string>> _paths = new(StringComparer.Ordinal);

    public WorkforceModel(WorkforceSnapshot snapshot)
    {
        Snapshot = snapshot;
        var subjects = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in snapshot.People.Values)
        {
            subjects[p.Id.ToLowerInvariant()] = p.Id;
            if (p.Email is not null) subjects[p.Email.Trim().ToLowerInvariant()] = p.Id;
        }
        // Aliases never take an id or email from someone else (the upsert refuses such clashes; this keeps older data safe too).
        foreach (var p in snapshot.People.Values)
            foreach (var alias in p.Aliases ?? [])
                subjects.TryAdd(alias.Trim().ToLowerInvariant(), p.Id);
        Directory = new PersonDirectory(subjects, snapshot.Version);
        foreach (var team in snapshot.Teams.Values.OrderBy(t => t.Name, StringComparer.Ordinal).ThenBy(t => t.Id, StringComparer.Ordinal))
        {
            var parent = team.ParentId ?? "";
            if (!_childTeams.TryGetValue(parent, out var list)) _childTeams[parent] = list = [];
            list.Add(team.Id);
        }
    }

    public WorkforceSnapshot Snapshot { get; }

    /// <summary>Who a subject string (person id, email or alias, any case) refers to.</summary>
    public PersonDirectory Directory { get; }
    public long Version => Snapshot.Version;

    /// <summary>Teams directly under <paramref name="teamId"/>, or the root teams for null.</summary>
    public IReadOnlyList<string> ChildTeams(string? teamId) => _childTeams.GetValueOrDefault(teamId ?? "") ?? [];

    /// <summary>The team and every team under it.</summary>
    public HashSet<string> Subtree(string teamId)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>([teamId]);
        while (stack.TryPop(out var t))
            if (result.Add(t)) foreach (var c in ChildTeams(t)) stack.Push(c);
        return result;
    }

    /// <summary>The team, its parent, and so on up to a root team.</summary>
    public IReadOnlyList<string> PathToRoot(string teamId)
    {
        if (_paths.TryGetValue(teamId, out var cached)) return cached;
        var path = new List<string>();
        for (var t = teamId; t is not null && Snapshot.Teams.TryGetValue(t, out var team) && !path.Contains(t); t = team.ParentId)
            path.Add(t);
        _paths[teamId] = path;
        return path;
    }

    /// <summary>The team's own cost centre, else the nearest ancestor's; null when none has one.</summary>
    public string? CostCentreOf(string teamId) =>
        PathToRoot(teamId).Select(t => Snapshot.Teams[t].CostCentreId).FirstOrDefault(c => c is not null);

    /// <summary>Teams of a cost centre that are not under another team of the same cost centre: its first level.</summary>
    public IEnumerable<string> TopTeamsOf(string costCentreId) =>
        Snapshot.Teams.Values
            .Where(t => CostCentreOf(t.Id) == costCentreId && (t.ParentId is null || CostCentreOf(t.ParentId) != costCentreId))
            .OrderBy(t => t.Name, StringComparer.Ordinal).Select(t => t.Id);

    /// <summary>
    /// The allocations in force on a day: those of the latest effective date on or before it
    /// (each effective date starts a new set of allocations that replaces the previous one).
    /// </summary>
    public static IReadOnlyList<Allocation> AllocationsOn(Person person, DateOnly day)
    {
        DateOnly? effective = null;
        foreach (var a in person.Allocations)
            if (a.EffectiveFrom <= day && (effective is null || a.EffectiveFrom > effective)) effective = a.EffectiveFrom;
        return effective is null ? [] : person.Allocations.Where(a => a.EffectiveFrom == effective).ToList();
    }

    /// <summary>Who is allocated (any FTE) to each team on a day; computed once per day and kept for a few days.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> MembersOn(DateOnly day)
    {
        if (_members.TryGetValue(day, out var cached)) return cached;
        var members = Snapshot.People.Values
            .SelectMany(p => AllocationsOn(p, day).Select(a => (a.TeamId, PersonId: p.Id)))
            .GroupBy(x => x.TeamId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.Select(x => x.PersonId).Distinct().ToList(), StringComparer.Ordinal);
        if (_members.Count >= 8) _members.Clear();
        return _members[day] = members;
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<DateOnly, IReadOnlyDictionary<string, IReadOnlyList<string>>> _members = new();

    /// <summary>How a subject's usage in <paramref name="month"/> splits over teams, day by day.</summary>
    public RollupPlan PlanFor(string subjectKey, Period month)
    {
        if (SubjectKeys.PersonIdOf(subjectKey) is not { } personId || !Snapshot.People.TryGetValue(personId, out var person))
            return RollupPlan.Unallocated;
        var first = month.FirstDay;
        var last = month.Next.FirstDay.AddDays(-1);
        var starts = person.Allocations.Select(a => a.EffectiveFrom).Where(d => d > first && d <= last)
            .Append(first).Distinct().Order().ToList();
        var segments = new List<PlanSegment>();
        for (var i = 0; i < starts.Count; i++)
        {
            var to = i + 1 < starts.Count ? starts[i + 1].AddDays(-1) : last;
            var shares = AllocationsOn(person, starts[i])
                .Where(a => Snapshot.Teams.ContainsKey(a.TeamId))
                .Select(a => new PlanShare(a.TeamId, PathToRoot(a.TeamId), CostCentreOf(a.TeamId), a.Fte))
                .ToList();
            segments.Add(new PlanSegment(starts[i], to, shares));
        }
        return new RollupPlan(segments);
    }
}
