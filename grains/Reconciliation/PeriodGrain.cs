using Flowstate.Domain;
using System.Text;
using Flowstate.Storage;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Runtime;
using Orleans.Streams;

namespace Flowstate.Reconciliation;

/// <summary>
/// A month's ledger. Its durable form is the <c>recon_ledger</c> / <c>period_observed</c> rows in
/// PostgreSQL (version-guarded); in memory it keeps each row's latest entry and the running
/// bucket totals, rebuilt from the tables on activation. Nothing here calls another grain, so
/// rows and partitions can push to it without risk of a cycle.
/// <para>
/// Reentrant so that pushes arriving while a ledger write is in flight are group-committed in
/// the next write: every method updates memory in one synchronous step (no await between the
/// version check and the update), then waits until its entry is durable before replying. A
/// failed write deactivates the grain, so memory is rebuilt from what PostgreSQL really holds.
/// </para>
/// <para>
/// After each durable write it publishes what changed: the status changes it logged (with their
/// seq) on the org's <see cref="EventStreams.RowStatus"/> stream and its new summary on the
/// period's <see cref="EventStreams.PeriodSummary"/> stream. Publishing is chained, so messages
/// leave in commit order, and runs beside the next write rather than in front of the callers'
/// replies. A lost message costs a subscriber nothing: the log fills the gap.
/// </para>
/// </summary>
[GrainType("period"), Reentrant]
public sealed class PeriodGrain : Grain, IPeriodGrain
{
    private readonly ReconLedgerStore _store;
    private readonly GroupCommit<LedgerEntry> _rowWrites;
    private readonly GroupCommit<ObservedContribution> _observedWrites;
    private readonly ILogger<PeriodGrain> _logger;
    private IAsyncStream<RowStatusChanges>? _rowStatus;
    private IAsyncStream<PeriodSummary>? _summaries;
    private Task _published = Task.CompletedTask;

    private readonly BusinessClock _clock;

    public PeriodGrain(ReconLedgerStore store, BusinessClock clock, ILogger<PeriodGrain> logger)
    {
        _store = store;
        _clock = clock;
        _logger = logger;
        _rowWrites = new(async batch => Publish(await _store.UpsertRowsAsync(_org, batch)));
        _observedWrites = new(async batch =>
        {
            await _store.UpsertObservedAsync(_org, _period, batch);
            Publish([]);
        });
    }

    private readonly Dictionary<string, LedgerEntry> _rows = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ObservedContribution> _observed = new(StringComparer.Ordinal);
    /// <summary>Rows' claims across a month boundary (see <see cref="ResidualClaims"/>), by claim id.</summary>
    private readonly Dictionary<string, ObservedContribution> _claims = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Provider, RowStatus Status), (int Count, decimal Amount)> _buckets = [];
    /// <summary>Residual parts (billed − matched observed) of the rows not written off, by provider and named cause.</summary>
    private readonly Dictionary<(string Provider, ResidualCause Cause), (int Rows, decimal Amount)> _causes = [];
    /// <summary>The unexplained parts by provider and usage day, so that the days not yet settled can be told apart.</summary>
    private readonly Dictionary<(string Provider, DateOnly Day), (int Rows, decimal Amount)> _unexplained = [];
    /// <summary>Observed cost by provider (a partition's id starts with its provider), so a provider's view has its own summary.</summary>
    private readonly Dictionary<string, decimal> _observedByProvider = new(StringComparer.Ordinal);
    private string _org = "";
    private Period _period;
    private decimal _observedTotal;
    /// <summary>Rows confirmed against the contract (providers without telemetry), by provider: observed at what was billed.</summary>
    private readonly Dictionary<string, (int Count, decimal Amount)> _contract = new(StringComparer.Ordinal);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        _org = GrainKeys.OrgOf(key);
        _period = Period.Parse(Uri.UnescapeDataString(GrainKeys.WithoutOrg(key)));
        var (rows, observed) = await _store.LoadAsync(_org, _period);
        foreach (var e in rows) Apply(e);
        foreach (var o in observed) ApplyObservedInMemory(o);
        var streams = this.GetStreamProvider(EventStreams.Provider);
        _rowStatus = streams.GetStream<RowStatusChanges>(StreamId.Create(EventStreams.RowStatus, EventStreams.RowStatusKey(_org)));
        _summaries = streams.GetStream<PeriodSummary>(StreamId.Create(EventStreams.PeriodSummary, EventStreams.PeriodSummaryKey(_org, _period)));
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => _published;

    /// <summary>Queues the messages of one durable write behind those of the writes before it.</summary>
    private void Publish(IReadOnlyList<RowStatusChanged> logged)
    {
        var previous = _published;
        _published = PublishAsync();

        async Task PublishAsync()
        {
            await previous;
            try
            {
                if (logged.Count > 0) await _rowStatus!.OnNextAsync(new RowStatusChanges(_org, logged));
                await _summaries!.OnNextAsync(Summary());
            }
            catch (Exception e)
            {
                // The changes are in the log; subscribers recover them from there.
                _logger.LogWarning(e, "Period {Org}/{Period}: publishing {Count} change(s) failed", _org, _period, logged.Count);
            }
        }
    }

    public async Task<PeriodSummary> ApplyRowAsync(LedgerEntry entry)
    {
        if (entry.Period != _period)
            throw new InvalidOperationException($"Entry for {entry.Period} pushed to period {_period}.");
        if (!_rows.TryGetValue(entry.RowId, out var current) || current.Version < entry.Version)
        {
            Apply(entry);
            await DurableAsync(_rowWrites.EnqueueAsync(entry));
        }
        return Summary();
    }

    public async Task ApplyObservedAsync(ObservedContribution contribution)
    {
        var known = contribution.ClaimCause is null ? _observed : _claims;
        if (known.TryGetValue(contribution.PartitionId, out var current) && current.Version >= contribution.Version) return;
        ApplyObservedInMemory(contribution);
        await DurableAsync(_observedWrites.EnqueueAsync(contribution));
    }

    private async Task DurableAsync(Task write)
    {
        try { await write; }
        catch
        {
            DeactivateOnIdle();
            throw;
        }
    }

    public Task<PeriodSummary> GetSummaryAsync() => Task.FromResult(Summary());

    public async Task<InboxPage> GetInboxAsync(InboxQuery query)
    {
        var statuses = query.Statuses.Distinct().ToList();
        var after = query.After is null ? ((DateOnly, string)?)null : DecodeCursor(query.After);
        var page = await _store.PageAsync(_org, _period, statuses, query.ProviderId, after, query.First + 1);
        var edges = page.Take(query.First).Select(p => new InboxEdge(p.RowId, EncodeCursor(p.UsageDate, p.RowId))).ToList();

        var buckets = Enum.GetValues<RowStatus>()
            .Select(s => Bucket(s, query.ProviderId))
            .ToList();
        var total = buckets.Where(b => statuses.Contains(b.Status)).Sum(b => b.Count);
        // "No bill yet" is about the rows in view: a provider with no row this month has not been pulled for it.
        var arrived = query.ProviderId is null ? _rows.Count > 0 : _rows.Values.Any(e => e.ProviderId == query.ProviderId);
        EmptyState? empty = total > 0 ? null : arrived ? EmptyState.Cleared : EmptyState.NoBillingPull;
        // Deferred out: the rows that left for the next month, and those still waiting here to go.
        var deferredOut = _rows.Values
            .Where(e => (e.MovedOutTo is not null || e.Status == RowStatus.Deferred) && (query.ProviderId is null || e.ProviderId == query.ProviderId))
            .Select(e => e.RowId).Order(StringComparer.Ordinal).ToList();
        var deferredIn = await _store.DeferredIntoAsync(_org, _period, query.ProviderId);
        return new InboxPage(Summary(query.ProviderId), buckets, deferredOut, edges, page.Count > query.First, total, empty, deferredIn);
    }

    private BucketCount Bucket(RowStatus status, string? providerId)
    {
        var (count, amount) = (0, 0m);
        foreach (var ((provider, s), (c, a)) in _buckets)
            if (s == status && (providerId is null || provider == providerId)) { count += c; amount += a; }
        return new BucketCount(status, count, amount);
    }

    /// <summary>The period's summary, or one provider's part of it (its rows and its partitions' observed cost).</summary>
    private PeriodSummary Summary(string? providerId = null)
    {
        decimal billed = 0, writtenOff = 0;
        var count = 0;
        foreach (var ((provider, status), (c, amount)) in _buckets)
        {
            if (providerId is not null && provider != providerId) continue;
            billed += amount;
            count += c;
            if (status == RowStatus.WrittenOff) writtenOff += amount;
        }
        var observed = (providerId is null ? _observedTotal : _observedByProvider.GetValueOrDefault(providerId))
            + _contract.Where(c => providerId is null || c.Key == providerId).Sum(c => c.Value.Amount);
        var byCause = ResidualBreakdown.Of(_period, billed - observed - writtenOff,
            _causes.Where(c => providerId is null || c.Key.Provider == providerId).Select(c => (c.Key.Cause, c.Value.Rows, c.Value.Amount))
                .Concat(_claims.Values.Where(c => providerId is null || ProviderOf(c.PartitionId) == providerId).Select(c => (c.ClaimCause!.Value, 0, c.ObservedUsd)))
                .Concat(UnbilledObserved(providerId).Select(o => (ResidualCause.ProvidersWithoutBilling, 0, -o))),
            _unexplained.Where(u => providerId is null || u.Key.Provider == providerId).Select(u => (u.Key.Day, u.Value.Rows, u.Value.Amount)),
            DateOnly.FromDateTime(_clock.GetUtcNow().UtcDateTime));
        return new PeriodSummary(_period, billed, observed, writtenOff, count, providerId, byCause);
    }

    /// <summary>The observed money of each provider (or the one asked for) that has no row in this period.</summary>
    private IEnumerable<decimal> UnbilledObserved(string? providerId) =>
        _observedByProvider.Where(o => o.Value != 0 && (providerId is null || o.Key == providerId) && !_buckets.Keys.Any(b => b.Provider == o.Key))
            .Select(o => o.Value);

    private void Apply(LedgerEntry entry)
    {
        if (_rows.TryGetValue(entry.RowId, out var old) && old.MovedOutTo is null) AddToBucket(old, -1);
        _rows[entry.RowId] = entry;
        if (entry.MovedOutTo is null) AddToBucket(entry, +1);
    }

    private void AddToBucket(LedgerEntry e, int sign)
    {
        Add(_buckets, (e.ProviderId, e.Status), sign, e.Amount);
        if (e.ByContract) Add(_contract, e.ProviderId, sign, e.Amount);
        if (e.Status == RowStatus.WrittenOff)
        {
            // Written off, the bill leaves the residual, but the sessions it had matched are still observed.
            if (e.ObservedUsd != 0) Add(_causes, (e.ProviderId, ResidualCause.WrittenOffUsage), sign, -e.ObservedUsd);
            return;
        }
        var part = e.Amount - e.ObservedUsd;
        if (e.Cause == ResidualCause.Unexplained) Add(_unexplained, (e.ProviderId, e.UsageDate), sign, part);
        else Add(_causes, (e.ProviderId, e.Cause), sign, part);
    }

    private static void Add<TKey>(Dictionary<TKey, (int Count, decimal Amount)> totals, TKey key, int sign, decimal amount) where TKey : notnull
    {
        var (count, sum) = totals.GetValueOrDefault(key);
        count += sign;
        sum += sign * amount;
        if (count == 0) totals.Remove(key); else totals[key] = (count, sum);
    }

    private void ApplyObservedInMemory(ObservedContribution c)
    {
        if (c.ClaimCause is not null)
        {
            _claims[c.PartitionId] = c;   // kept at 0 too, so an older message cannot come back
            return;
        }
        var provider = ProviderOf(c.PartitionId);
        if (_observed.TryGetValue(c.PartitionId, out var old))
        {
            _observedTotal -= old.ObservedUsd;
            _observedByProvider[provider] -= old.ObservedUsd;
        }
        _observed[c.PartitionId] = c;
        _observedTotal += c.ObservedUsd;
        _observedByProvider[provider] = _observedByProvider.GetValueOrDefault(provider) + c.ObservedUsd;
    }

    /// <summary>A partition id is <c>{provider}/{subject}/{yyyy-MM}</c>, each part escaped.</summary>
    private static string ProviderOf(string partitionId) => Uri.UnescapeDataString(partitionId[..partitionId.IndexOf('/')]);

    private static string EncodeCursor(DateOnly day, string rowId) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{day:yyyy-MM-dd}|{rowId}"));

    private static (DateOnly, string) DecodeCursor(string cursor)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(cursor));
            var bar = text.IndexOf('|');
            if (bar > 0 && DateOnly.TryParseExact(text[..bar], "yyyy-MM-dd", out var day)) return (day, text[(bar + 1)..]);
        }
        catch (FormatException) { }
        throw FlowstateException.InvalidInput($"'{cursor}' is not a cursor from this list; pass an endCursor you received.");
    }
}
