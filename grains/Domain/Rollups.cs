using Flowstate.Attribution;

namespace Flowstate.Domain;

/// <summary>
/// Sums scope cells into the totals of a <see cref="RollupSlice"/>. Adding with a negative sign
/// takes a contribution back out; entries that fall to zero are dropped so that nothing grows
/// with churn.
/// </summary>
public sealed class SliceAccumulator
{
    private UsageMetrics _total;
    private readonly Dictionary<string, UsageMetrics> _byProvider = new(StringComparer.Ordinal);
    private readonly Dictionary<string, UsageMetrics> _byProject = new(StringComparer.Ordinal);
    private readonly Dictionary<string, UsageMetrics> _byCostCentre = new(StringComparer.Ordinal);
    private readonly Dictionary<string, UsageMetrics> _byModel = new(StringComparer.Ordinal);
    private readonly Dictionary<TeamSubject, UsageMetrics> _byTeamSubject = [];
    private readonly Dictionary<DateOnly, double> _sessionsByDay = [];

    public void Add(string subject, ScopeCell cell, decimal sign = 1m)
    {
        var m = sign == 1m ? cell.Metrics : cell.Metrics * sign;
        _total += m;
        Bump(_byProvider, cell.ProviderId, m);
        Bump(_byProject, cell.ProjectId ?? "", m);
        Bump(_byCostCentre, cell.CostCentreId ?? "", m);
        Bump(_byModel, cell.Model, m);
        Bump(_byTeamSubject, new TeamSubject(cell.TeamId, subject), m);
        var sessions = _sessionsByDay.GetValueOrDefault(cell.Day) + m.Sessions;
        if (sessions < UsageMetrics.Epsilon) _sessionsByDay.Remove(cell.Day); else _sessionsByDay[cell.Day] = sessions;
    }

    public void Add(RollupSlice slice)
    {
        _total += slice.Total;
        foreach (var (k, m) in slice.ByProvider) Bump(_byProvider, k, m);
        foreach (var (k, m) in slice.ByProject) Bump(_byProject, k, m);
        foreach (var (k, m) in slice.ByCostCentre) Bump(_byCostCentre, k, m);
        foreach (var (k, m) in slice.ByModel) Bump(_byModel, k, m);
        foreach (var (k, m) in slice.ByTeamSubject) Bump(_byTeamSubject, k, m);
        foreach (var day in slice.ActiveDays) _sessionsByDay.TryAdd(day, 1);
    }

    public RollupSlice ToSlice() => new(_total,
        new Dictionary<string, UsageMetrics>(_byProvider), new Dictionary<string, UsageMetrics>(_byProject),
        new Dictionary<string, UsageMetrics>(_byCostCentre), new Dictionary<string, UsageMetrics>(_byModel),
        new Dictionary<TeamSubject, UsageMetrics>(_byTeamSubject),
        _sessionsByDay.Keys.Order().ToList());

    private static void Bump<TKey>(Dictionary<TKey, UsageMetrics> map, TKey key, UsageMetrics m) where TKey : notnull
    {
        var sum = map.GetValueOrDefault(key) + m;
        if (sum.IsZero) map.Remove(key); else map[key] = sum;
    }
}

/// <summary>
/// One rollup's month in memory: the latest contribution of every subject (replaced only by a
/// newer version, so replays and reorders never double count) and the running month totals.
/// A whole-month query reads the totals; a part of the month or a filtered query sums the cells.
/// </summary>
public sealed class RollupIndex(Period month)
{
    private const int CachedSlices = 16;
    private readonly Dictionary<string, Contribution> _contributions = new(StringComparer.Ordinal);
    private readonly SliceAccumulator _month = new();
    private RollupSlice? _monthSlice;
    /// <summary>Partial and filtered answers of the current version (dashboards ask the same windows again and again).</summary>
    private readonly Dictionary<SliceQuery, RollupSlice> _slices = [];

    public Period Month { get; } = month;

    /// <summary>
    /// Goes up with every change; slices carry the version they were computed at. It starts at a
    /// random point so that a later activation of the same rollup never repeats a version an earlier
    /// one handed out for different contents.
    /// </summary>
    public long Version { get; private set; } = Random.Shared.NextInt64(1, long.MaxValue / 2);
    public int Subjects => _contributions.Count;
    public int Cells { get; private set; }

    public long VersionOf(string subject) => _contributions.TryGetValue(subject, out var c) ? c.Version : -1;

    /// <summary>Takes a contribution if it is newer than the subject's current one; true when it changed anything.</summary>
    public bool Apply(Contribution contribution)
    {
        if (_contributions.TryGetValue(contribution.Subject, out var old))
        {
            if (old.Version >= contribution.Version) return false;
            foreach (var cell in old.Cells) _month.Add(old.Subject, cell, -1m);
            Cells -= old.Cells.Count;
        }
        contribution = contribution with { Cells = contribution.Cells.Select(Interned).ToArray() };
        foreach (var cell in contribution.Cells) _month.Add(contribution.Subject, cell);
        Cells += contribution.Cells.Count;
        _contributions[contribution.Subject] = contribution;
        _monthSlice = null;
        _slices.Clear();
        Version++;
        return true;
    }

    /// <summary>
    /// Ids repeat across millions of cells (providers, models, projects, teams, cost centres): one
    /// shared string each keeps a big rollup's memory to its numbers.
    /// </summary>
    private static ScopeCell Interned(ScopeCell c) => c with
    {
        ProviderId = string.Intern(c.ProviderId), Model = string.Intern(c.Model),
        ProjectId = c.ProjectId is null ? null : string.Intern(c.ProjectId),
        TeamId = c.TeamId is null ? null : string.Intern(c.TeamId),
        CostCentreId = c.CostCentreId is null ? null : string.Intern(c.CostCentreId),
    };

    public RollupSlice Summarize(SliceQuery query)
    {
        // Whole month, or every day that has data (e.g. the current month up to today): the running totals.
        var month = _monthSlice ??= _month.ToSlice() with { Version = Version };
        if (query.Filter.IsEmpty && (month.ActiveDays.Count == 0 || (query.From <= month.ActiveDays[0] && query.To >= month.ActiveDays[^1])))
            return month;
        if (_slices.TryGetValue(query, out var cached)) return cached;
        IEnumerable<Contribution> source = query.Filter.Subject is not { } subject ? _contributions.Values
            : _contributions.TryGetValue(subject, out var one) ? [one] : [];
        if (_slices.Count >= CachedSlices) _slices.Clear();
        return _slices[query] = Sum(source, query) with { Version = Version };
    }

    /// <summary>Sums the cells of <paramref name="contributions"/> that fall in the query's days and filter.</summary>
    public static RollupSlice Sum(IEnumerable<Contribution> contributions, SliceQuery query)
    {
        var acc = new SliceAccumulator();
        var f = query.Filter;
        foreach (var c in contributions)
        {
            if (f.Subject is not null && f.Subject != c.Subject) continue;
            foreach (var cell in c.Cells)
            {
                if (cell.Day < query.From || cell.Day > query.To) continue;
                if (f.ProjectId is not null && cell.ProjectId != f.ProjectId) continue;
                if (f.CostCentreId is not null && cell.CostCentreId != f.CostCentreId) continue;
                if (f.TeamIds is not null && (cell.TeamId is null || !f.TeamIds.Contains(cell.TeamId))) continue;
                acc.Add(c.Subject, cell);
            }
        }
        return acc.ToSlice();
    }
}
