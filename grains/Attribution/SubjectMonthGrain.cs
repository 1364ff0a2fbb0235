using Flowstate.Domain;
using Flowstate.Workforce;
using Microsoft.Extensions.Logging;

namespace Flowstate.Attribution;

/// <summary>Persisted state of one subject-month.</summary>
[GenerateSerializer, Alias("Flowstate.SubjectMonthState")]
public sealed class SubjectMonthState
{
    [Id(0)] public Dictionary<string, PartitionUsage> Partitions { get; set; } = new(StringComparer.Ordinal);
    [Id(1)] public long Version { get; set; }
    [Id(2)] public RollupPlan? Plan { get; set; }
    /// <summary>Rollups holding a contribution of this subject-month as of <see cref="Version"/>.</summary>
    [Id(3)] public List<string> Targets { get; set; } = [];
    /// <summary>Rollups that may not have received <see cref="Version"/> yet (dropped targets get an empty contribution).</summary>
    [Id(4)] public List<string> Pending { get; set; } = [];
}

/// <summary>
/// One subject's month of usage, split over its allocations and pushed to rollups (see
/// <see cref="ISubjectMonthGrain"/>). State and pending pushes are written together, then pushed;
/// a push lost to a crash is re-sent on activation or by the repair sweep.
/// </summary>
[GrainType("subject-month")]
public sealed class SubjectMonthGrain(
    [PersistentState("subject-month", GrainStorage.Name)] IPersistentState<SubjectMonthState> state,
    ILogger<SubjectMonthGrain> logger) : Grain, ISubjectMonthGrain
{
    private SubjectMonthState S => state.State;
    private List<ScopeCell>? _cells;

    private string Org => GrainKeys.OrgOf(this.GetPrimaryKeyString());
    private string SubjectKey => KeyPart(1);
    private Period Month => Period.Parse(KeyPart(2));
    private string KeyPart(int i) => Uri.UnescapeDataString(this.GetPrimaryKeyString().Split('/')[i]);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        try { await EnsurePushedAsync(); }
        catch (Exception e) { logger.LogWarning(e, "Subject-month {Key}: re-sending pushes failed", this.GetPrimaryKeyString()); }
    }

    public async Task ApplyUsageAsync(PartitionUsage usage)
    {
        if (S.Partitions.TryGetValue(usage.PartitionId, out var current) && current.Version >= usage.Version)
        {
            await EnsurePushedAsync();
            return;
        }
        S.Partitions[usage.PartitionId] = usage;
        // The plan is fetched once and kept: a workforce change that moves this month re-splits it
        // through RetargetAsync, so new usage never needs another call to the org.
        await CommitAsync(S.Plan ?? await PlanAsync());
    }

    public async Task RetargetAsync()
    {
        if (S.Partitions.Count == 0) return;
        var plan = await PlanAsync();
        if (S.Plan is { } current && SamePlan(current, plan)) return;
        await CommitAsync(plan);
    }

    public Task<RollupSlice?> SummarizeAsync(SliceQuery query, long knownVersion) =>
        Task.FromResult(knownVersion == S.Version ? null : Index().Summarize(query) with { Version = S.Version });

    /// <summary>The subject's own cells as a one-subject rollup, kept until the next change.</summary>
    private RollupIndex Index()
    {
        if (_index is null)
        {
            _index = new RollupIndex(Month);
            _index.Apply(new Contribution(SubjectKey, S.Version, Cells()));
        }
        return _index;
    }

    private RollupIndex? _index;

    public async Task EnsurePushedAsync()
    {
        if (S.Pending.Count == 0) return;
        var targets = RollupSplit.Targets(Cells(), S.Plan ?? RollupPlan.Unallocated);
        await Task.WhenAll(S.Pending.Where(k => k != RollupKeys.Org).Select(k => PushAsync(k, targets.GetValueOrDefault(k) ?? [])));
        // The org rollup goes last: it is every subject-month's target, and its pushed_at is what the
        // repair sweep compares with this grain's write.
        if (S.Pending.Contains(RollupKeys.Org)) await PushAsync(RollupKeys.Org, targets[RollupKeys.Org]);
        S.Pending.Clear();
    }

    private Task<RollupPlan> PlanAsync() => GrainFactory.GetGrain<IOrgGrain>(Org).GetRollupPlanAsync(SubjectKey, Month);

    private async Task CommitAsync(RollupPlan plan)
    {
        S.Plan = plan;
        S.Version++;
        (_cells, _index) = (null, null);
        var targets = RollupSplit.Targets(Cells(), plan).Keys.ToList();
        S.Pending = targets.Union(S.Targets).Union(S.Pending).ToList();
        S.Targets = targets;
        await state.WriteStateAsync();
        await EnsurePushedAsync();
    }

    private List<ScopeCell> Cells() => _cells ??= RollupSplit.Split(S.Partitions.Values, S.Plan ?? RollupPlan.Unallocated);

    private Task PushAsync(string scope, List<ScopeCell> cells) =>
        GrainFactory.GetGrain<IRollupGrain>(RollupKeys.Rollup(Org, scope, Month)).ApplyAsync(new Contribution(SubjectKey, S.Version, cells));

    private static bool SamePlan(RollupPlan a, RollupPlan b) =>
        a.Segments.Count == b.Segments.Count && a.Segments.Zip(b.Segments).All(p =>
            p.First.From == p.Second.From && p.First.To == p.Second.To && p.First.Shares.Count == p.Second.Shares.Count &&
            p.First.Shares.Zip(p.Second.Shares).All(s => s.First.TeamId == s.Second.TeamId && s.First.CostCentreId == s.Second.CostCentreId
                && s.First.Fte == s.Second.Fte && s.First.TeamPath.SequenceEqual(s.Second.TeamPath)));
}
