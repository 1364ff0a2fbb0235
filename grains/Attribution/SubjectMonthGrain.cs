using Flowstate.Domain;
using Flowstate.Durable;
using Flowstate.Workforce;

namespace Flowstate.Attribution;

/// <summary>Persisted state of one subject-month.</summary>
[GenerateSerializer, Alias("Flowstate.SubjectMonthState")]
public sealed class SubjectMonthState : IDurableState
{
    [Id(0)] public Dictionary<string, PartitionUsage> Partitions { get; set; } = new(StringComparer.Ordinal);
    [Id(1)] public long Version { get; set; }
    [Id(2)] public RollupPlan? Plan { get; set; }
    /// <summary>Rollups holding a contribution of this subject-month as of <see cref="Version"/>.</summary>
    [Id(3)] public List<string> Targets { get; set; } = [];
    // [Id(4)] was a hand-written list of pending rollups, replaced by Outbox (Id 5).
    /// <summary>Rollup scopes owed this subject-month's share (a dropped scope is owed an empty one).</summary>
    [Id(5)] public Outbox Outbox { get; set; } = new();
}

/// <summary>
/// One subject's month of usage, split over its allocations and pushed to rollups (see
/// <see cref="ISubjectMonthGrain"/>). Every change owes each rollup it feeds (and each it stopped
/// feeding) its share, stored with the change and then pushed (see <see cref="DurableGrain{TState}"/>).
/// </summary>
[GrainType("subject-month")]
public sealed class SubjectMonthGrain(
    [PersistentState("subject-month", GrainStorage.Name)] IPersistentState<SubjectMonthState> state,
    Durability durability) : DurableGrain<SubjectMonthState>(state, durability), ISubjectMonthGrain
{
    private SubjectMonthState S => State;
    private List<ScopeCell>? _cells;

    private string Org => GrainKeys.OrgOf(this.GetPrimaryKeyString());
    private string SubjectKey => KeyPart(1);
    private Period Month => Period.Parse(KeyPart(2));
    private string KeyPart(int i) => Uri.UnescapeDataString(this.GetPrimaryKeyString().Split('/')[i]);

    public async Task ApplyUsageAsync(PartitionUsage usage)
    {
        if (S.Partitions.TryGetValue(usage.PartitionId, out var current) && current.Version >= usage.Version) return;
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

    private Task<RollupPlan> PlanAsync() => GrainFactory.GetGrain<IOrgGrain>(Org).GetRollupPlanAsync(SubjectKey, Month);

    /// <summary>
    /// A new version, owed to every rollup it feeds and every one it no longer feeds. The partition
    /// (or org) that called is acknowledged once this is stored: a rollup that fails is this grain's to retry.
    /// </summary>
    private async Task CommitAsync(RollupPlan plan)
    {
        S.Plan = plan;
        S.Version++;
        (_cells, _index, _targets) = (null, null, null);
        var targets = Targets().Keys.ToList();
        foreach (var scope in targets.Union(S.Targets)) Push(scope, S.Version);
        S.Targets = targets;
        await CommitAsync(failOnUndelivered: false);
    }

    protected override Task SendAsync(string scope) => PushAsync(scope, Targets().GetValueOrDefault(scope) ?? []);

    private Dictionary<string, List<ScopeCell>> Targets() => _targets ??= RollupSplit.Targets(Cells(), S.Plan ?? RollupPlan.Unallocated);
    private Dictionary<string, List<ScopeCell>>? _targets;

    private List<ScopeCell> Cells() => _cells ??= RollupSplit.Split(S.Partitions.Values, S.Plan ?? RollupPlan.Unallocated);

    private Task PushAsync(string scope, List<ScopeCell> cells) =>
        GrainFactory.GetGrain<IRollupGrain>(RollupKeys.Rollup(Org, scope, Month)).ApplyAsync(new Contribution(SubjectKey, S.Version, cells));

    private static bool SamePlan(RollupPlan a, RollupPlan b) =>
        a.Segments.Count == b.Segments.Count && a.Segments.Zip(b.Segments).All(p =>
            p.First.From == p.Second.From && p.First.To == p.Second.To && p.First.Shares.Count == p.Second.Shares.Count &&
            p.First.Shares.Zip(p.Second.Shares).All(s => s.First.TeamId == s.Second.TeamId && s.First.CostCentreId == s.Second.CostCentreId
                && s.First.Fte == s.Second.Fte && s.First.TeamPath.SequenceEqual(s.Second.TeamPath)));
}
