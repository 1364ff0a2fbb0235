using Flowstate.Durable;
using Flowstate.Workforce;

namespace Flowstate.Providers;

[GenerateSerializer, Alias("Flowstate.ProviderState")]
public sealed class ProviderState : IDurableState
{
    [Id(0)] public ProviderConfig? Config { get; set; }
    [Id(1)] public IngestRun? LastBillingPull { get; set; }
    [Id(2)] public IngestRun? LastTelemetry { get; set; }
    [Id(3)] public DateTimeOffset ConfiguredAt { get; set; }
    /// <summary>Owed: the org's provider list, until it lists this provider.</summary>
    [Id(4)] public Outbox Outbox { get; set; } = new();
    [Id(5)] public DateOnly? LatestBillingDay { get; set; }
    [Id(6)] public DateOnly? LatestTelemetryDay { get; set; }
    /// <summary>The last telemetry batch that brought anything (accepted or duplicate items); a rejected-only batch does not move it.</summary>
    [Id(7)] public IngestRun? LastTelemetryReceived { get; set; }
}

/// <summary>
/// One provider's configuration and integration status (see <see cref="IProviderGrain"/>). A new
/// provider owes the org an entry in its provider list (see <see cref="DurableGrain{TState}"/>).
/// </summary>
[GrainType("provider")]
public sealed class ProviderGrain(
    [PersistentState("provider", GrainStorage.Name)] IPersistentState<ProviderState> state,
    Durability durability,
    BusinessClock clock) : DurableGrain<ProviderState>(state, durability), IProviderGrain
{
    private const string OrgTarget = "org";

    public async Task<ProviderView> ConfigureAsync(ProviderConfig config)
    {
        Validate(config);
        if (State.Config is null) Push(OrgTarget, 1);
        State.Config = config;
        State.ConfiguredAt = clock.GetUtcNow();
        await CommitAsync();
        return View(State)!;
    }

    protected override Task SendAsync(string target) =>
        GrainFactory.GetGrain<IOrgGrain>(GrainKeys.OrgOf(this.GetPrimaryKeyString())).AddProviderAsync(State.Config!.Id);

    /// <summary>
    /// What <see cref="GetAsync"/> answers: the state as last stored (it interleaves with the commands, which change the
    /// state before their write). The state's parts are immutable records replaced whole, so keeping them is a copy.
    /// </summary>
    private ProviderState? _stored;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        OnStored();
        return base.OnActivateAsync(cancellationToken);
    }

    protected override void OnStored() => _stored = new ProviderState
    {
        Config = State.Config, LastBillingPull = State.LastBillingPull, LastTelemetry = State.LastTelemetry, ConfiguredAt = State.ConfiguredAt,
        LatestBillingDay = State.LatestBillingDay, LatestTelemetryDay = State.LatestTelemetryDay, LastTelemetryReceived = State.LastTelemetryReceived,
    };

    public Task<ProviderView?> GetAsync() => Task.FromResult(View(_stored ?? State));

    public Task RecordBillingPullAsync(IngestRun run) => Record(s =>
    {
        s.LastBillingPull = run;
        if (run.LatestDay > s.LatestBillingDay || s.LatestBillingDay is null) s.LatestBillingDay = run.LatestDay ?? s.LatestBillingDay;
    });

    public Task RecordTelemetryAsync(IngestRun run) => Record(s =>
    {
        // The last batch, whatever came of it (a rejected-only batch shows as FAILED with its errors); the
        // last one that brought data is kept apart, so a refused batch never looks like a successful feed.
        s.LastTelemetry = run;
        if (run.Accepted + run.Duplicates > 0) s.LastTelemetryReceived = run;
        // Telemetry without a day (older batches) counts for the day it arrived.
        var day = run.LatestDay ?? (run.Accepted + run.Duplicates > 0 ? DateOnly.FromDateTime(run.At.UtcDateTime) : (DateOnly?)null);
        if (day > s.LatestTelemetryDay || s.LatestTelemetryDay is null) s.LatestTelemetryDay = day ?? s.LatestTelemetryDay;
    });

    private async Task Record(Action<ProviderState> update)
    {
        if (State.Config is null) return;
        update(State);
        await CommitAsync();
    }

    private ProviderView? View(ProviderState s) => s.Config is { } c
        ? new ProviderView(c, s.LastBillingPull, s.LastTelemetry, s.ConfiguredAt, s.LatestBillingDay, s.LatestTelemetryDay, clock.GetUtcNow(),
            s.LastTelemetryReceived)
        : null;

    private static void Validate(ProviderConfig c)
    {
        static void Require(bool ok, string message) { if (!ok) throw FlowstateException.InvalidInput(message); }
        Require(!string.IsNullOrWhiteSpace(c.Id) && c.Id.Length <= GrainKeys.MaxIdLength, "A provider id is required (at most 200 characters).");
        Require(!string.IsNullOrWhiteSpace(c.Name), "A provider name is required.");
        Require(c.Plan.SeatFeeUsd >= 0 && c.Plan.IncludedUsageUsd >= 0, "Seat fee and included usage cannot be negative.");
        Require(c.Plan.Discount is >= 0 and < 1, "discount is a fraction of list price in [0, 1), e.g. 0.15 for 15%.");
        Require(c.Tolerance.AutoMatchRatio is >= 0 and <= 1 && c.Tolerance.SuggestRatio is >= 0 and <= 1,
            "Tolerances are fractions of the billed amount in [0, 1].");
        Require(c.Tolerance.SuggestRatio >= c.Tolerance.AutoMatchRatio, "suggestRatio must be at least autoMatchRatio.");
        Require((c.TelemetryServices ?? []).All(s => !string.IsNullOrWhiteSpace(s) && s.Length <= GrainKeys.MaxIdLength),
            "telemetryService is an OpenTelemetry service.name (1 to 200 characters), e.g. claude-code.");
        foreach (var p in c.Prices)
        {
            Require(!string.IsNullOrWhiteSpace(p.Model), "Every price needs a model.");
            Require(p.InputPerMTokUsd >= 0 && p.OutputPerMTokUsd >= 0 && p.CachedInputPerMTokUsd >= 0, $"Prices of {p.Model} cannot be negative.");
        }
        var dup = c.Prices.GroupBy(p => (Domain.ModelNames.Canonical(c.Id, p.Model).ToLowerInvariant(), p.EffectiveFrom)).FirstOrDefault(g => g.Count() > 1);
        Require(dup is null, $"Two prices for {dup?.Key.Item1} from {dup?.Key.EffectiveFrom:yyyy-MM-dd}.");
    }
}
