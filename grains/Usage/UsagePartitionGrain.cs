using Flowstate.Attribution;
using Flowstate.Domain;
using Flowstate.Durable;
using Flowstate.Reconciliation;

namespace Flowstate.Usage;

/// <summary>Persisted state of one subject-provider-month partition.</summary>
[GenerateSerializer, Alias("Flowstate.UsagePartitionState")]
public sealed class UsagePartitionState : IDurableState
{
    [Id(0)] public Dictionary<string, SessionFact> Sessions { get; set; } = new(StringComparer.Ordinal);
    [Id(1)] public List<RowRegistration> Rows { get; set; } = [];
    /// <summary>The version of the usage (sessions, allowance, projects); rows registering do not move it.</summary>
    [Id(2)] public long Version { get; set; }
    [Id(4)] public decimal IncludedUsageUsd { get; set; }
    // [Id(5)] was a hand-written "push pending" flag, replaced by Outbox (Id 6).
    /// <summary>Owed: the subject-month and the period, each this partition's usage as of a version.</summary>
    [Id(6)] public Outbox Outbox { get; set; } = new();
    /// <summary>The plan's fee per seat per month (0: not a seat plan); see <see cref="SeatMonth"/>.</summary>
    [Id(7)] public decimal SeatFeeUsd { get; set; }
}

/// <summary>
/// Sessions of one subject on one provider in one month (see <see cref="IUsagePartitionGrain"/>).
/// State is bounded by one subject's month of sessions. A change of usage owes the subject-month its
/// cells and the period its observed cost (see <see cref="DurableGrain{TState}"/>); a row registering
/// changes neither, so it is stored without pushing anything.
/// </summary>
[GrainType("usage-partition")]
public sealed class UsagePartitionGrain(
    [PersistentState("usage-partition", GrainStorage.Name)] IPersistentState<UsagePartitionState> state,
    Durability durability) : DurableGrain<UsagePartitionState>(state, durability), IUsagePartitionGrain
{
    private const string SubjectMonthTarget = "subject-month", PeriodTarget = "period";

    private UsagePartitionState S => State;
    private Period Month => Period.Parse(KeyPart(^1));
    private string Org => GrainKeys.OrgOf(this.GetPrimaryKeyString());
    private string ProviderId => KeyPart(1);
    private string SubjectKey => KeyPart(^2);
    private bool CountsTowardObserved => !SubjectKey.StartsWith("k:", StringComparison.Ordinal);
    private string KeyPart(Index i) => Uri.UnescapeDataString(this.GetPrimaryKeyString().Split('/')[i]);

    public async Task<RecordResult> FoldAsync(SessionFold fold)
    {
        var fresh = new List<string>();
        var changed = false;
        foreach (var s in fold.Sessions)
        {
            if (!S.Sessions.TryGetValue(s.SessionId, out var known)) fresh.Add(s.SessionId);
            else if (known == s) continue;
            S.Sessions[s.SessionId] = s;
            changed = true;
        }
        foreach (var id in fold.Removed) changed |= S.Sessions.Remove(id);
        if (changed || fold.IncludedUsageUsd != S.IncludedUsageUsd || fold.SeatFeeUsd != S.SeatFeeUsd)
        {
            S.IncludedUsageUsd = fold.IncludedUsageUsd;
            S.SeatFeeUsd = fold.SeatFeeUsd;
            UsageChanged();
            if (fold.DeliverLater) await CommitDeferredAsync();
            else await CommitAsync();
        }
        return new RecordResult(fresh, RowsNear(fold.Sessions));
    }

    /// <summary>
    /// Rows near every day of the given sessions (not only the new ones' days): a batch re-sent after
    /// a crash must still wake the rows the first attempt did not reach.
    /// </summary>
    private List<string> RowsNear(IEnumerable<SessionFact> sessions)
    {
        var days = sessions.Select(s => s.Day).ToHashSet();
        return S.Rows
            .Where(r => r.Kind == BillingRowKind.Seat || days.Any(d => Math.Abs(d.DayNumber - r.UsageDate.DayNumber) <= 1))
            .Select(r => r.RowId).Distinct().ToList();
    }

    public async Task<MatchEvidence> RegisterRowAsync(RowRegistration registration)
    {
        if (!S.Rows.Contains(registration))
        {
            S.Rows.RemoveAll(r => r.RowId == registration.RowId);
            S.Rows.Add(registration);
            await CommitAsync();
            // Rows next to a newly billed day may have matched its sessions as billing lag: they are this row's now.
            // So are the sessions of an unbilled day before it that the row two days earlier took (booked early):
            // the new row has first claim on them (booked late).
            if (registration.Kind == BillingRowKind.Usage)
                foreach (var neighbour in S.Rows.Where(r => r.Kind == BillingRowKind.Usage && r.RowId != registration.RowId
                             && registration.UsageDate.DayNumber - r.UsageDate.DayNumber is 1 or -1 or 2))
                    _ = GrainFactory.GetGrain<IBillingRowGrain>(GrainKeys.Row(Org, neighbour.RowId)).NeighbourBilledAsync();
        }
        var day = registration.UsageDate;
        var seat = SeatMonthNow();
        var days = Enumerable.Range(-1, 3).Select(day.AddDays).Where(Month.Contains)
            .Select(d =>
            {
                var sessions = S.Sessions.Values.Where(s => s.Day == d).OrderBy(s => s.SessionId, StringComparer.Ordinal).ToList();
                // On a seat plan a day's observed money is its usage beyond the included amount; sessions
                // wholly inside the seat add nothing a usage row could match.
                var observed = seat.SeatPlan ? sessions.Where(s => seat.ObservedBySession[s.SessionId] != 0).ToList() : sessions;
                bool BilledByAnother(DateOnly on) => S.Rows.Any(r => r.Kind == BillingRowKind.Usage && r.UsageDate == on && r.RowId != registration.RowId);
                return new DayEvidence(d, observed.Sum(s => seat.ObservedBySession[s.SessionId]), observed.Select(s => s.SessionId).ToList(),
                    BilledByAnother(d), BilledByAnother(d.AddDays(1)));
            })
            .ToList();
        var monthIds = registration.Kind == BillingRowKind.Seat
            ? S.Sessions.Values.OrderBy(s => s.StartedAt).ThenBy(s => s.SessionId, StringComparer.Ordinal).Select(s => s.SessionId).ToList()
            : null;
        return new MatchEvidence(days, S.Sessions.Count, seat.ObservedUsd, seat.ObservedSeatFeeUsd, seat.SeatPlan, monthIds);
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
            UsageChanged();
            await CommitAsync();
        }
        return true;
    }

    /// <summary>The usage moved on: a new version, owed to the subject-month and the period (person partitions only).</summary>
    private void UsageChanged()
    {
        S.Version++;
        if (!CountsTowardObserved) return;
        Push(SubjectMonthTarget, S.Version);
        Push(PeriodTarget, S.Version);
    }

    protected override Task SendAsync(string target)
    {
        var id = GrainKeys.WithoutOrg(this.GetPrimaryKeyString());
        return target == SubjectMonthTarget
            ? GrainFactory.GetGrain<ISubjectMonthGrain>(RollupKeys.SubjectMonth(Org, SubjectKey, Month))
                .ApplyUsageAsync(new PartitionUsage(id, ProviderId, S.Version, UsageCells()))
            : GrainFactory.GetGrain<IPeriodGrain>(GrainKeys.Join(Org, Month.ToString()))
                .ApplyObservedAsync(new ObservedContribution(id, S.Version, SeatMonthNow().ObservedUsd));
    }

    /// <summary>The month under the plan: what of it is observed money (an active seat's fee, usage beyond the included amount).</summary>
    private SeatMonth SeatMonthNow() => SeatMonth.Of(S.Sessions.Values, S.SeatFeeUsd, S.IncludedUsageUsd);

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
