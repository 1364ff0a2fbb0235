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
    private Period Month => Period.Parse(Uri.UnescapeDataString(this.GetPrimaryKeyString().Split('/')[^1]));
    private string Org => GrainKeys.OrgOf(this.GetPrimaryKeyString());
    private bool CountsTowardObserved => !Uri.UnescapeDataString(this.GetPrimaryKeyString().Split('/')[^2]).StartsWith("k:", StringComparison.Ordinal);

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

    public async Task EnsurePushedAsync()
    {
        if (!S.PushPending) return;
        var contribution = new ObservedContribution(GrainKeys.WithoutOrg(this.GetPrimaryKeyString()), S.Version, S.Sessions.Values.Sum(s => s.CostUsd));
        await GrainFactory.GetGrain<IPeriodGrain>(GrainKeys.Join(Org, Month.ToString())).ApplyObservedAsync(contribution);
        S.PushPending = false;
    }
}
