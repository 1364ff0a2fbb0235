using Flowstate.Attribution;
using Flowstate.Domain;
using Flowstate.Reconciliation;
using Microsoft.Extensions.Logging;

namespace Flowstate.Usage;

/// <summary>Persisted state of one subject-provider-month partition.</summary>
[GenerateSerializer, Alias("Flowstate.UsagePartitionState")]
public sealed class UsagePartitionState
{
    [Id(0)] public Dictionary<string, SessionFact> Sessions { get; set; } = new(StringComparer.Ordinal);
    [Id(1)] public List<RowRegistration> Rows { get; set; } = [];
    [Id(2)] public long Version { get; set; }
    [Id(4)] public decimal IncludedUsageUsd { get; set; }
    /// <summary>The observed push for <see cref="Version"/> may not have reached the period yet.</summary>
    [Id(5)] public bool PushPending { get; set; }
}

/// <summary>
/// Sessions of one subject on one provider in one month (see <see cref="IUsagePartitionGrain"/>).
/// State is bounded by one subject's month of sessions.
/// </summary>
[GrainType("usage-partition")]
public sealed class UsagePartitionGrain(
    [PersistentState("usage-partition", GrainStorage.Name)] IPersistentState<UsagePartitionState> state,
    ILogger<UsagePartitionGrain> logger) : Grain, IUsagePartitionGrain
{
    private UsagePartitionState S => state.State;
    private Period Month => Period.Parse(KeyPart(^1));
    private string Org => GrainKeys.OrgOf(this.GetPrimaryKeyString());
    private string ProviderId => KeyPart(1);
    private string SubjectKey => KeyPart(^2);
    private bool CountsTowardObserved => !SubjectKey.StartsWith("k:", StringComparison.Ordinal);
    private string KeyPart(Index i) => Uri.UnescapeDataString(this.GetPrimaryKeyString().Split('/')[i]);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        try { await EnsurePushedAsync(); }
        catch (Exception e) { logger.LogWarning(e, "Partition {Key}: re-sending observed push failed", this.GetPrimaryKeyString()); }
    }

    public async Task<RecordResult> RecordAsync(SessionBatch batch)
    {
        var fresh = batch.Sessions.Where(s => !S.Sessions.ContainsKey(s.SessionId)).ToList();
        if (fresh.Count > 0 || batch.IncludedUsageUsd != S.IncludedUsageUsd)
        {
            foreach (var s in fresh) S.Sessions[s.SessionId] = s;
            S.IncludedUsageUsd = batch.IncludedUsageUsd;
            await WriteAndPushAsync();
        }
        // Rows near every day in the batch (not only the new sessions' days): a batch re-sent
        // after a crash must still wake the rows the first attempt did not reach.
        var days = batch.Sessions.Select(s => s.Day).ToHashSet();
        var rows = S.Rows
            .Where(r => r.Kind == BillingRowKind.Seat || days.Any(d => Math.Abs(d.DayNumber - r.UsageDate.DayNumber) <= 1))
            .Select(r => r.RowId).Distinct().ToList();
        return new RecordResult(fresh.Select(s => s.SessionId).ToList(), rows);
    }

    public async Task<MatchEvidence> RegisterRowAsync(RowRegistration registration)
    {
        if (!S.Rows.Contains(registration))
        {
            S.Rows.RemoveAll(r => r.RowId == registration.RowId);
            S.Rows.Add(registration);
            await WriteAndPushAsync();
        }
        var day = registration.UsageDate;
        var days = Enumerable.Range(-1, 3).Select(day.AddDays).Where(Month.Contains)
            .Select(d =>
            {
                var sessions = S.Sessions.Values.Where(s => s.Day == d).OrderBy(s => s.SessionId, StringComparer.Ordinal).ToList();
                return new DayEvidence(d, sessions.Sum(s => s.CostUsd), sessions.Select(s => s.SessionId).ToList());
            })
            .ToList();
        return new MatchEvidence(days, S.Sessions.Count, S.Sessions.Values.Sum(s => s.CostUsd));
    }

    public Task<IReadOnlyDictionary<string, decimal>> GetIncrementalCostsAsync(IReadOnlyList<string> sessionIds)
    {
        var all = Allowance.Incremental(S.Sessions.Values, S.IncludedUsageUsd);
        IReadOnlyDictionary<string, decimal> result = sessionIds.Where(all.ContainsKey).ToDictionary(id => id, id => all[id]);
        return Task.FromResult(result);
    }

    public async Task<bool> SetProjectAsync(string sessionId, string? projectId)
    {
        if (!S.Sessions.TryGetValue(sessionId, out var fact)) return false;
        if (fact.ProjectId != projectId)
        {
            S.Sessions[sessionId] = fact with { ProjectId = projectId };
            await WriteAndPushAsync();
        }
        return true;
    }

    /// <summary>
    /// Every write is followed by a push (so the ledger's pushed_at always passes the storage
    /// write, which is what the repair sweep checks); the pending flag is written with the state.
    /// </summary>
    private async Task WriteAndPushAsync()
    {
        S.Version++;
        S.PushPending = CountsTowardObserved;
        await state.WriteStateAsync();
        await EnsurePushedAsync();
    }

    /// <summary>
    /// Pushes usage to the subject-month, then observed cost to the period. The period's push is
    /// last on purpose: its <c>pushed_at</c> is what the repair sweep compares with this grain's
    /// write, so a push that reached the period implies the subject-month has this version too.
    /// </summary>
    public async Task EnsurePushedAsync()
    {
        if (!S.PushPending) return;
        var id = GrainKeys.WithoutOrg(this.GetPrimaryKeyString());
        await GrainFactory.GetGrain<ISubjectMonthGrain>(RollupKeys.SubjectMonth(Org, SubjectKey, Month))
            .ApplyUsageAsync(new PartitionUsage(id, ProviderId, S.Version, UsageCells()));
        var contribution = new ObservedContribution(id, S.Version, S.Sessions.Values.Sum(s => s.CostUsd));
        await GrainFactory.GetGrain<IPeriodGrain>(GrainKeys.Join(Org, Month.ToString())).ApplyObservedAsync(contribution);
        S.PushPending = false;
    }

    /// <summary>The month's sessions summed by day, model and project, with their incremental (beyond-allowance) cost.</summary>
    private List<UsageCell> UsageCells()
    {
        var incremental = Allowance.Incremental(S.Sessions.Values, S.IncludedUsageUsd);
        return S.Sessions.Values
            .GroupBy(s => (s.Day, s.Model, s.ProjectId))
            .OrderBy(g => g.Key.Day).ThenBy(g => g.Key.Model, StringComparer.Ordinal).ThenBy(g => g.Key.ProjectId, StringComparer.Ordinal)
            .Select(g => new UsageCell(g.Key.Day, g.Key.Model, g.Key.ProjectId, g.Aggregate(default(UsageMetrics), (m, s) => m + new UsageMetrics(
                incremental[s.SessionId], s.MarketCostUsd, 1, s.Tokens, s.Frustration ?? 0, s.Frustration is null ? 0 : 1))))
            .ToList();
    }
}
