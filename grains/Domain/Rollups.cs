using Flowstate.Attribution;

namespace Flowstate.Domain;

/// <summary>
/// Sums slices into one (the months of a window). Entries that fall to zero are dropped.
/// </summary>
public sealed class SliceAccumulator
{
    private UsageMetrics _total;
    private readonly Dictionary<string, UsageMetrics> _byProvider = new(StringComparer.Ordinal);
    private readonly Dictionary<string, UsageMetrics> _byProject = new(StringComparer.Ordinal);
    private readonly Dictionary<string, UsageMetrics> _byCostCentre = new(StringComparer.Ordinal);
    private readonly Dictionary<string, UsageMetrics> _byModel = new(StringComparer.Ordinal);
    private readonly Dictionary<TeamSubject, UsageMetrics> _byTeamSubject = [];
    private readonly SortedSet<DateOnly> _days = [];

    public void Add(RollupSlice slice)
    {
        _total += slice.Total;
        foreach (var (k, m) in slice.ByProvider) Bump(_byProvider, k, m);
        foreach (var (k, m) in slice.ByProject) Bump(_byProject, k, m);
        foreach (var (k, m) in slice.ByCostCentre) Bump(_byCostCentre, k, m);
        foreach (var (k, m) in slice.ByModel) Bump(_byModel, k, m);
        foreach (var (k, m) in slice.ByTeamSubject) Bump(_byTeamSubject, k, m);
        _days.UnionWith(slice.ActiveDays);
    }

    public RollupSlice ToSlice() => new(_total,
        new Dictionary<string, UsageMetrics>(_byProvider), new Dictionary<string, UsageMetrics>(_byProject),
        new Dictionary<string, UsageMetrics>(_byCostCentre), new Dictionary<string, UsageMetrics>(_byModel),
        new Dictionary<TeamSubject, UsageMetrics>(_byTeamSubject), _days.ToList());

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
/// <para>
/// Kept compact because a big org holds millions of cells: every id (provider, model, project,
/// team, cost centre, subject) becomes a small integer of this index, so a cell is a plain value
/// with no references (cheap to hold, invisible to the garbage collector's marking) and sums use
/// integer keys. Ids turn back into strings only in the slices handed out.
/// </para>
/// </summary>
public sealed class RollupIndex(Period month)
{
    private const int NoId = -1;
    private const int CachedSlices = 16;

    private readonly record struct Cell(byte Day, int Provider, int Model, int Project, int Team, int CostCentre, UsageMetrics Metrics);

    private readonly record struct Stored(long Version, Cell[] Cells);

    private readonly List<string> _names = [];
    private readonly Dictionary<string, int> _codes = new(StringComparer.Ordinal);
    private readonly Dictionary<int, Stored> _contributions = [];
    private readonly Sums _month = new();
    private RollupSlice? _monthSlice;
    /// <summary>Partial and filtered answers of the current version (dashboards ask the same windows again and again).</summary>
    private readonly Dictionary<SliceQuery, RollupSlice> _slices = [];

    public Period Month { get; } = month;
    public int Subjects => _contributions.Count;
    public int Cells { get; private set; }

    /// <summary>
    /// Goes up with every change; slices carry the version they were computed at. It starts at a
    /// random point so that a later activation of the same rollup never repeats a version an earlier
    /// one handed out for different contents.
    /// </summary>
    public long Version { get; private set; } = Random.Shared.NextInt64(1, long.MaxValue / 2);

    /// <summary>Takes a contribution if it is newer than the subject's current one; true when it changed anything.</summary>
    public bool Apply(Contribution contribution)
    {
        var subject = Code(contribution.Subject);
        if (_contributions.TryGetValue(subject, out var old))
        {
            if (old.Version >= contribution.Version) return false;
            foreach (var cell in old.Cells) _month.Add(subject, cell, -1m);
            Cells -= old.Cells.Length;
        }
        var cells = contribution.Cells.Select(c => new Cell((byte)c.Day.Day, Code(c.ProviderId), Code(c.Model),
            Code(c.ProjectId), Code(c.TeamId), Code(c.CostCentreId), c.Metrics)).ToArray();
        foreach (var cell in cells) _month.Add(subject, cell, 1m);
        Cells += cells.Length;
        _contributions[subject] = new Stored(contribution.Version, cells);
        _monthSlice = null;
        _slices.Clear();
        Version++;
        return true;
    }

    public RollupSlice Summarize(SliceQuery query)
    {
        // Whole month, or every day that has data (e.g. the current month up to today): the running totals.
        var month = _monthSlice ??= _month.ToSlice(this);
        if (query.Filter.IsEmpty && (month.ActiveDays.Count == 0 || (query.From <= month.ActiveDays[0] && query.To >= month.ActiveDays[^1])))
            return month;
        if (_slices.TryGetValue(query, out var cached)) return cached;
        if (_slices.Count >= CachedSlices) _slices.Clear();
        return _slices[query] = Sum(query);
    }

    private RollupSlice Sum(SliceQuery query)
    {
        var f = query.Filter;
        var sums = new Sums();
        // A filter naming an id this month never saw matches nothing.
        bool Known(string? id, out int code) => (code = id is null ? NoId : _codes.GetValueOrDefault(id, int.MinValue)) != int.MinValue;
        if (!Known(f.ProjectId, out var project) || !Known(f.CostCentreId, out var costCentre) || !Known(f.Subject, out var only))
            return sums.ToSlice(this);
        var teams = f.TeamIds?.Select(t => _codes.GetValueOrDefault(t, int.MinValue)).ToHashSet();
        var (from, to) = (query.From < Month.FirstDay ? 1 : query.From.Day, query.To >= Month.Next.FirstDay ? 31 : query.To.Day);
        foreach (var (subject, stored) in _contributions)
        {
            if (f.Subject is not null && subject != only) continue;
            foreach (var cell in stored.Cells)
            {
                if (cell.Day < from || cell.Day > to) continue;
                if (f.ProjectId is not null && cell.Project != project) continue;
                if (f.CostCentreId is not null && cell.CostCentre != costCentre) continue;
                if (teams is not null && !teams.Contains(cell.Team)) continue;
                sums.Add(subject, cell, 1m);
            }
        }
        return sums.ToSlice(this);
    }

    private int Code(string? id)
    {
        if (id is null) return NoId;
        if (_codes.TryGetValue(id, out var code)) return code;
        _names.Add(id);
        return _codes[id] = _names.Count - 1;
    }

    private string? Name(int code) => code == NoId ? null : _names[code];

    /// <summary>Running sums by integer ids: the month's totals, or a partial or filtered answer.</summary>
    private sealed class Sums
    {
        private UsageMetrics _total;
        private readonly Dictionary<int, UsageMetrics> _provider = [], _project = [], _costCentre = [], _model = [];
        private readonly Dictionary<long, UsageMetrics> _teamSubject = [];
        private readonly double[] _sessionsByDay = new double[32];

        /// <summary>Adds (sign 1) or takes back (sign −1) a cell; taking back drops entries that fall to zero.</summary>
        public void Add(int subject, in Cell c, decimal sign)
        {
            var m = sign == 1m ? c.Metrics : c.Metrics * sign;
            _total += m;
            Bump(_provider, c.Provider, m);
            Bump(_project, c.Project, m);
            Bump(_costCentre, c.CostCentre, m);
            Bump(_model, c.Model, m);
            Bump(_teamSubject, ((long)c.Team << 32) | (uint)subject, m);
            _sessionsByDay[c.Day] += m.Sessions;
        }

        private static void Bump<TKey>(Dictionary<TKey, UsageMetrics> map, TKey key, in UsageMetrics m) where TKey : notnull
        {
            ref var sum = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(map, key, out _);
            sum += m;
            if (m.Sessions < 0 && sum.IsZero) map.Remove(key);   // only taking back can empty an entry (every cell has sessions)
        }

        public RollupSlice ToSlice(RollupIndex index)
        {
            Dictionary<string, UsageMetrics> Named(Dictionary<int, UsageMetrics> map) =>
                map.ToDictionary(e => index.Name(e.Key) ?? "", e => e.Value, StringComparer.Ordinal);
            var days = Enumerable.Range(1, 31).Where(d => _sessionsByDay[d] > UsageMetrics.Epsilon)
                .Select(d => index.Month.FirstDay.AddDays(d - 1)).Where(index.Month.Contains).ToList();
            return new RollupSlice(_total, Named(_provider), Named(_project), Named(_costCentre), Named(_model),
                _teamSubject.ToDictionary(e => new TeamSubject(index.Name((int)(e.Key >> 32)), index.Name((int)(uint)e.Key)!), e => e.Value),
                days, index.Version);
        }
    }
}
