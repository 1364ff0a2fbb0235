using Flowstate.Domain;
using Flowstate.Durable;
using Flowstate.Providers;
using Flowstate.Usage;

namespace Flowstate.Reconciliation;

/// <summary>
/// One billing row. Non-reentrant, so every change is single-threaded. Each change bumps the
/// version and appends to the audit trail; the row owes its entry to the period it is in (and to a
/// period it just left), stored with the change and then pushed (see <see cref="DurableGrain{TState}"/>).
/// Calls go row → provider, row → partition and row → period only; none of those call rows.
/// </summary>
[GrainType("billing-row")]
public sealed class BillingRowGrain(
    [PersistentState("billing-row", GrainStorage.Name)] IPersistentState<BillingRowState> state,
    Durability durability,
    BusinessClock clock) : DurableGrain<BillingRowState>(state, durability), IBillingRowGrain
{
    public const string MatcherActor = "system:matcher";
    public const string ClockActor = "system:deferral-clock";

    private BillingRowState S => State;
    private string Org => GrainKeys.OrgOf(this.GetPrimaryKeyString());
    private string RowId => GrainKeys.WithoutOrg(this.GetPrimaryKeyString());
    /// <summary>The summary each period answered to this command's push.</summary>
    private readonly Dictionary<Period, PeriodSummary> _summaries = [];

    public Task<BillingRowView?> GetAsync() => Task.FromResult(S.Line is null ? null : View());

    public async Task<IngestOutcome> IngestAsync(BillingLine line)
    {
        if (S.Line is null)
        {
            S.Line = line;
            S.Period = Period.Of(line.UsageDate);
            S.Status = RowStatus.Unreconciled;
            var (_, outcome) = await MatchAsync(onlyOnNewEvidence: false);
            Transition(outcome?.Status ?? RowStatus.Unreconciled, $"ingest:{line.ProviderId}", null, outcome?.Reason ?? "Ingested.");
            await CommitAsync();
            return IngestOutcome.Created;
        }
        if (RowRules.IsLocked(S.Status)) return IngestOutcome.Locked;
        if (S.Line == line) return IngestOutcome.Unchanged;
        if (Period.Of(line.UsageDate) != Period.Of(S.Line.UsageDate))
            throw FlowstateException.InvalidInput(
                $"Row {line.ExternalId} was billed for {Period.Of(S.Line.UsageDate)}; a re-pull cannot move it to {Period.Of(line.UsageDate)}.");

        S.Line = line;
        if (!RowRules.IsOpen(S.Status) || !await RematchInPlaceAsync($"ingest:{line.ProviderId}", "Re-pulled bill changed the row."))
            BumpVersion();
        await CommitAsync();
        return IngestOutcome.Updated;
    }

    public async Task<RowActionResult> ApplyActionAsync(RowCommand command)
    {
        if (S.Line is null) throw FlowstateException.NotFound($"No billing row with id '{RowId}'.");
        var withoutTelemetry = await ProviderWithoutTelemetryAsync();
        RowRules.Check(S.Status, S.Version, command, providerHasTelemetry: !withoutTelemetry);
        S.ProviderWithoutTelemetry = withoutTelemetry;

        var actedIn = S.Period;
        var from = S.Status;
        var note = string.IsNullOrWhiteSpace(command.Note) ? null : command.Note.Trim();
        switch (command.Action)
        {
            case RowAction.Reopen or RowAction.Undefer:
                // Matching runs again at once: a row with evidence goes straight back to SUGGESTED or
                // AUTO_MATCHED, in the same step (one audit entry, one version) as the action itself.
                // Everything the row can see now counts, so later re-sent batches change nothing.
                var (_, outcome) = await MatchAsync(onlyOnNewEvidence: false);
                S.ConfirmedByContract = false;
                if (command.Action == RowAction.Undefer) S.DeferredTo = null;
                Transition(outcome?.Status ?? RowStatus.Unreconciled, command.Actor, command.Action, note);
                break;
            case RowAction.Confirm when from == RowStatus.Unreconciled:
                Transition(RowStatus.Confirmed, command.Actor, command.Action, note);
                // The contract is the observation: the period counts the row as observed at what was billed.
                S.ConfirmedByContract = true;
                S.ObservedCostUsd = S.Line.TotalCostUsd;
                S.MatchedByMonth.Clear();
                S.MatchReason = $"Confirmed against the contract (no telemetry from this provider): {note}";
                break;
            default:
                Transition(RowRules.Target(command.Action), command.Actor, command.Action, note);
                break;
        }
        S.Note = note ?? S.Note;
        if (command.Action == RowAction.Defer)
        {
            S.DeferredTo = actedIn.Next;
            // A month that has already ended: the row leaves it at once.
            if (Period.Of(clock.GetUtcNow()) > actedIn) MoveToNextPeriod(command.Actor, "Deferred out of an ended month.");
        }

        var summaries = await CommitAsync();
        return new RowActionResult(View(), summaries[actedIn]);
    }

    /// <summary>True when the row's provider has never sent telemetry (or is not configured).</summary>
    private async Task<bool> ProviderWithoutTelemetryAsync() =>
        (await GrainFactory.GetGrain<IProviderGrain>(GrainKeys.Join(Org, S.Line!.ProviderId)).GetAsync())?.LastTelemetry is null;

    public async Task RematchAsync()
    {
        if (S.Line is null || !RowRules.IsOpen(S.Status)) return;
        if (await RematchInPlaceAsync(MatcherActor, null, onlyOnNewEvidence: true)) await CommitAsync();
    }

    public Task NeighbourBilledAsync() => RematchAsync();

    public async Task ReturnIfDueAsync()
    {
        if (S.Line is null || S.Status != RowStatus.Deferred || S.DeferredTo is not { } to) return;
        if (Period.Of(clock.GetUtcNow()) < to) return;
        MoveToNextPeriod(ClockActor, $"Returned from deferral into {to}.");
        await RematchInPlaceAsync(MatcherActor, null);  // DESIGN: on return, matching runs again
        await CommitAsync();
    }

    /// <summary>The row leaves its period (which lists it as deferred out) and waits UNRECONCILED in the next.</summary>
    private void MoveToNextPeriod(string actor, string note)
    {
        var from = S.Period;
        var to = S.DeferredTo ?? from.Next;
        S.Period = to;
        S.DeferredTo = null;
        S.DeferredFrom = from;
        Transition(RowStatus.Unreconciled, actor, null, note);
        Push(from.ToString(), S.Version);   // the period left is owed the entry that lists the row as moved out
    }

    /// <summary>Matches again; true (and the version bumped) when anything the row shows changed.</summary>
    private async Task<bool> RematchInPlaceAsync(string actor, string? note, bool onlyOnNewEvidence = false)
    {
        var before = (S.ObservedCostUsd, S.Confidence, string.Join(',', S.MatchedSessionIds));
        var (skipped, outcome) = await MatchAsync(onlyOnNewEvidence);
        if (skipped) return false;
        var target = outcome?.Status ?? RowStatus.Unreconciled;
        if (target != S.Status)
        {
            Transition(target, actor, null, note ?? outcome?.Reason);
            return true;
        }
        if (before == (S.ObservedCostUsd, S.Confidence, string.Join(',', S.MatchedSessionIds))) return false;
        BumpVersion();
        return true;
    }

    /// <summary>
    /// Asks the subject's partitions for evidence around the usage date and applies the matcher.
    /// With <paramref name="onlyOnNewEvidence"/>, evidence identical to what the row last saw (a
    /// re-sent batch) is skipped, so a reopened row stays as finance left it.
    /// </summary>
    private async Task<(bool Skipped, MatchOutcome? Outcome)> MatchAsync(bool onlyOnNewEvidence)
    {
        var line = S.Line!;
        if (await EvidenceAsync() is not { } found)
        {
            S.ProviderWithoutTelemetry = await ProviderWithoutTelemetryAsync();
            ApplyOutcome(new MatchOutcome(RowStatus.Unreconciled, 0, 0, [], "The bill names no person or account to match."));
            return (false, null);
        }
        if (onlyOnNewEvidence && found.Fingerprint == S.EvidenceSeen) return (true, null);
        S.EvidenceSeen = found.Fingerprint;
        var provider = await GrainFactory.GetGrain<IProviderGrain>(GrainKeys.Join(Org, line.ProviderId)).GetAsync();
        S.ProviderWithoutTelemetry = provider?.LastTelemetry is null;
        var viaAccount = line.SubjectKey is null;
        var outcome = Matcher.Match(line, viaAccount, found.Evidence, provider?.Config.Tolerance ?? MatchTolerance.Default);
        ApplyOutcome(outcome);
        return (false, outcome);
    }

    /// <summary>
    /// The evidence from the subject's (or account's) partitions covering the usage date ±1 day,
    /// registering the row with each for late-session notices; null when the bill names nobody.
    /// </summary>
    private async Task<(MatchEvidence Evidence, string Fingerprint)?> EvidenceAsync()
    {
        var line = S.Line!;
        var subjectKey = line.SubjectKey ?? (line.Account is null ? null : SubjectKeys.Account(line.Account));
        if (subjectKey is null) return null;
        var registration = new RowRegistration(RowId, line.UsageDate, line.Kind);
        var months = new[] { line.UsageDate.AddDays(-1), line.UsageDate, line.UsageDate.AddDays(1) }.Select(Period.Of).Distinct().ToList();
        var evidence = await Task.WhenAll(months.Select(m =>
            GrainFactory.GetGrain<IUsagePartitionGrain>(PartitionKeys.Of(Org, line.ProviderId, subjectKey, m)).RegisterRowAsync(registration)));
        var own = evidence[months.IndexOf(Period.Of(line.UsageDate))];
        var merged = own with { Days = evidence.SelectMany(e => e.Days).ToList() };
        var fingerprint = string.Join(';', merged.Days.OrderBy(d => d.Day).Select(d => $"{d.Day:yyyyMMdd}:{d.ObservedUsd}:{d.SessionIds.Count}:{(d.BilledByAnotherRow ? "b" : "")}{(d.AnotherRowTheDayAfter && d.Day > line.UsageDate ? "a" : "")}"))
                        + $"|{merged.MonthSessionCount}|{merged.SeatFeeUsd}";
        return (merged, fingerprint);
    }

    private void ApplyOutcome(MatchOutcome outcome)
    {
        S.ObservedCostUsd = outcome.ObservedUsd;
        S.Confidence = outcome.Confidence;
        S.MatchedSessionIds = outcome.SessionIds.ToList();
        S.MatchReason = outcome.Reason;
        S.MatchCause = outcome.Cause;
        S.MatchedByMonth = (outcome.ObservedByDay ?? []).GroupBy(d => Period.Of(d.Day).ToString())
            .ToDictionary(g => g.Key, g => g.Sum(d => d.ObservedUsd), StringComparer.Ordinal);
    }

    private const string ClaimTarget = "claim:";

    /// <summary>
    /// What this row claims of each month's residual (see <see cref="ResidualClaims"/>): the money it
    /// matched in other months than its own, −amount there and +the sum in its own; empty when it
    /// matched only its own month's sessions.
    /// </summary>
    private Dictionary<string, decimal> Claims()
    {
        var own = S.Period.ToString();
        var claims = S.MatchedByMonth.Where(m => m.Key != own && m.Value != 0).ToDictionary(m => m.Key, m => -m.Value, StringComparer.Ordinal);
        if (claims.Count > 0) claims[own] = -claims.Values.Sum();
        return claims;
    }

    /// <summary>
    /// A written-off row's matched sessions stay observed (WRITTEN_OFF_USAGE); a row deferred out of
    /// its usage month left its sessions behind (DEFERRALS); otherwise its claims carry its cause.
    /// </summary>
    private ResidualCause ClaimCause() =>
        S.Status == RowStatus.WrittenOff ? ResidualCause.WrittenOffUsage
        : S.Period != Period.Of(S.Line!.UsageDate) ? ResidualCause.Deferrals
        : Cause();

    /// <summary>Owes each month whose claim changed (or whose cause did) the claim as it is now.</summary>
    private void PushChangedClaims()
    {
        var claims = Claims();
        var cause = ClaimCause();
        foreach (var month in claims.Keys.Union(S.ClaimsSent.Keys).ToList())
            if (claims.GetValueOrDefault(month) != S.ClaimsSent.GetValueOrDefault(month) || (claims.ContainsKey(month) && cause != S.ClaimCauseSent))
                Push(ClaimTarget + month, S.Version);
    }

    /// <summary>The cause of this row's part of the residual: a provider without telemetry can explain nothing else.</summary>
    private ResidualCause Cause() =>
        S.ProviderWithoutTelemetry && S.Line!.Kind is BillingRowKind.Usage or BillingRowKind.Seat ? ResidualCause.ProvidersWithoutTelemetry : S.MatchCause;

    private void Transition(RowStatus to, string actor, RowAction? action, string? note)
    {
        RowStatus? previous = S.Version == 0 ? null : S.Status;
        BumpVersion();
        S.Status = to;
        S.AuditTrail.Add(new AuditEntry(clock.GetUtcNow(), actor, previous, to, action, note, S.Version, S.Period));
        // Bounded: entries the event log already holds go once more than AuditHeld are kept (auditLog pages them all).
        while (S.AuditTrail.Count > BillingRowState.AuditHeld && S.AuditTrail[0].Version <= S.LoggedThrough) S.AuditTrail.RemoveAt(0);
    }

    private void BumpVersion() => S.Version++;

    private LedgerEntry Entry(Period period, Period? movedOutTo = null) =>
        new(RowId, period, S.Version, S.Line!.ProviderId, S.Line.UsageDate, S.Line.TotalCostUsd,
            movedOutTo is null ? S.Status : RowStatus.Deferred, movedOutTo, DeferredFrom: movedOutTo is null ? S.DeferredFrom : null,
            ObservedUsd: S.ObservedCostUsd, Cause: Cause(), Line: S.Line, Note: S.Note,
            ByContract: S.ConfirmedByContract && S.Status == RowStatus.Confirmed && movedOutTo is null);

    /// <summary>Stores the change with the entries it owes its periods, then pushes them; returns each period's summary.</summary>
    private async Task<Dictionary<Period, PeriodSummary>> CommitAsync()
    {
        Push(S.Period.ToString(), S.Version);
        PushChangedClaims();
        _summaries.Clear();
        await base.CommitAsync();
        return _summaries;
    }

    /// <summary>
    /// The row's entry for one period: where it is now, or, for a period it was deferred out of,
    /// the entry that lists it there as moved to the next month (rows only ever move one month on).
    /// Status changes not yet logged travel with the current period's entry (all of them, even one
    /// made in the period the row just left), so one transaction logs them in version order.
    /// </summary>
    protected override async Task SendAsync(string target)
    {
        if (target.StartsWith(ClaimTarget, StringComparison.Ordinal))
        {
            var month = target[ClaimTarget.Length..];
            var (amount, cause) = (Claims().GetValueOrDefault(month), ClaimCause());
            await GrainFactory.GetGrain<IPeriodGrain>(GrainKeys.Join(Org, month))
                .ApplyObservedAsync(new ObservedContribution(ResidualClaims.Id(RowId), S.Version, amount, cause));
            if (amount == 0) S.ClaimsSent.Remove(month); else S.ClaimsSent[month] = amount;
            S.ClaimCauseSent = cause;
            return;
        }
        var period = Period.Parse(target);
        var unlogged = period == S.Period
            ? S.AuditTrail.Where(a => a.Version > S.LoggedThrough).Select(a => a with { Period = a.Period ?? S.Period }).ToList()
            : [];
        var entry = period == S.Period ? Entry(period) with { Changes = unlogged.Count == 0 ? null : unlogged } : Entry(period, movedOutTo: period.Next);
        _summaries[period] = await GrainFactory.GetGrain<IPeriodGrain>(GrainKeys.Join(Org, target)).ApplyRowAsync(entry);
        if (unlogged.Count > 0) S.LoggedThrough = Math.Max(S.LoggedThrough, unlogged.Max(c => c.Version));
    }

    private BillingRowView View() => new(RowId, S.Line!, S.Period, S.Status, S.Version, S.ObservedCostUsd, S.Confidence,
        S.MatchedSessionIds, S.MatchReason, S.Note, S.AuditTrail, S.DeferredTo, RowRules.Offered(S.Status, !S.ProviderWithoutTelemetry), S.DeferredFrom, Cause());
}
