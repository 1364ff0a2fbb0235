using System.Threading.RateLimiting;
using Flowstate.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Flowstate.Ingestion;

/// <summary>Bounds of the ingest path on one silo (bound by the host from <c>Flowstate:Ingest</c>, validated at start).</summary>
public sealed class IngestOptions
{
    /// <summary>Batches appending to the ingest log at once on this silo (ingestSessions and OTLP exports alike).</summary>
    public int MaxAppendsInFlight { get; set; } = 8;

    /// <summary>Batches that may wait for an append slot; beyond, or after <see cref="QueueTimeout"/>, OVERLOADED.</summary>
    public int MaxQueuedAppends { get; set; } = 32;

    public TimeSpan QueueTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>OTLP requests reading their bodies at once on this silo (bounds the memory of bodies: this × the body limit).</summary>
    public int MaxRequestsInFlight { get; set; } = 32;

    /// <summary>Items appended and not folded yet (all silos) beyond which new batches are refused.</summary>
    public long MaxUnfoldedItems { get; set; } = 400_000;

    /// <summary>Fold lag (age of the oldest unfolded item) beyond which new batches are refused.</summary>
    public TimeSpan MaxFoldLag { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long ingestSessions waits, at most, for its sessions to become visible (IngestWait.Visible).</summary>
    public TimeSpan VisibleWait { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the backlog (unfolded items, fold lag) is read from PostgreSQL.</summary>
    public TimeSpan BacklogPollEvery { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Items the fold takes in one window at most (see <see cref="IngestFold.WindowItems"/>); smaller only to test many windows.</summary>
    public int FoldWindowItems { get; set; } = IngestFold.WindowItems;

    public IEnumerable<string> Problems(string section)
    {
        if (MaxAppendsInFlight is < 1 or > 1024) yield return $"{section}:MaxAppendsInFlight must be 1-1024; got {MaxAppendsInFlight}.";
        if (MaxQueuedAppends is < 0 or > 100_000) yield return $"{section}:MaxQueuedAppends must be 0-100000; got {MaxQueuedAppends}.";
        if (QueueTimeout <= TimeSpan.Zero || QueueTimeout > TimeSpan.FromMinutes(1)) yield return $"{section}:QueueTimeout must be above 0 and at most 00:01:00; got {QueueTimeout}.";
        if (MaxRequestsInFlight is < 1 or > 10_000) yield return $"{section}:MaxRequestsInFlight must be 1-10000; got {MaxRequestsInFlight}.";
        if (FoldWindowItems is < 1 or > 1_000_000) yield return $"{section}:FoldWindowItems must be 1-1000000; got {FoldWindowItems}.";
        if (MaxUnfoldedItems is < 1_000 or > 1_000_000_000) yield return $"{section}:MaxUnfoldedItems must be 1000-1000000000; got {MaxUnfoldedItems}.";
        if (MaxFoldLag < TimeSpan.FromSeconds(1) || MaxFoldLag > TimeSpan.FromDays(1)) yield return $"{section}:MaxFoldLag must be 00:00:01-1.00:00:00; got {MaxFoldLag}.";
        if (VisibleWait < TimeSpan.Zero || VisibleWait > TimeSpan.FromMinutes(5)) yield return $"{section}:VisibleWait must be 00:00:00-00:05:00; got {VisibleWait}.";
        if (BacklogPollEvery < TimeSpan.FromMilliseconds(10) || BacklogPollEvery > TimeSpan.FromSeconds(30))
            yield return $"{section}:BacklogPollEvery must be 00:00:00.010-00:00:30; got {BacklogPollEvery}.";
    }
}

/// <summary>
/// Bounded admission to the ingest path of this silo: a batch gets an append slot (at most
/// <see cref="IngestOptions.MaxAppendsInFlight"/>, a short bounded queue behind them) only while the
/// fold keeps up (unfolded items and fold lag under their bounds, read from PostgreSQL every
/// <see cref="IngestOptions.BacklogPollEvery"/>); otherwise it is refused at once with
/// <see cref="IngestOverloadedException"/> (or <see cref="StorageUnavailableException"/> while
/// PostgreSQL does not answer), before anything is stored. So the memory ingest holds is bounded by
/// the slots, and a flood costs refusals, not a growing queue.
/// </summary>
public sealed class IngestAdmission : BackgroundService
{
    private readonly IngestOptions _options;
    private readonly IngestLogStore _log;
    private readonly FlowstateMetrics _metrics;
    private readonly IStorageErrors _storageErrors;
    private readonly ILogger<IngestAdmission> _logger;
    private readonly ConcurrencyLimiter _appends, _requests;
    private FoldBacklog _backlog;
    private string? _storageDown;

    public IngestAdmission(IngestOptions options, IngestLogStore log, FlowstateMetrics metrics, IStorageErrors storageErrors, ILogger<IngestAdmission> logger)
    {
        (_options, _log, _metrics, _storageErrors, _logger) = (options, log, metrics, storageErrors, logger);
        _appends = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = options.MaxAppendsInFlight, QueueLimit = options.MaxQueuedAppends, QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
        _requests = new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = options.MaxRequestsInFlight, QueueLimit = 0 });
        metrics.ObserveIngest(() => (Volatile.Read(ref _inFlight), _backlog.Items, _backlog.Lag(DateTimeOffset.UtcNow).TotalSeconds));
    }

    private int _inFlight;

    /// <summary>The backlog as last read (items not folded, and the oldest one's arrival).</summary>
    public FoldBacklog Backlog => _backlog;

    /// <summary>
    /// An append slot for one batch, released when disposed. Throws <see cref="IngestOverloadedException"/> when the
    /// fold is behind its bounds or no slot frees up in time, and <see cref="StorageUnavailableException"/> while
    /// PostgreSQL does not answer.
    /// </summary>
    public async Task<IDisposable> EnterAsync(CancellationToken ct = default)
    {
        Refuse("append");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.QueueTimeout);
        RateLimitLease lease;
        try { lease = await _appends.AcquireAsync(1, timeout.Token); }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested) { lease = Shed("queue_timeout"); }
        if (!lease.IsAcquired) { lease.Dispose(); Shed("appends_full"); }
        Interlocked.Increment(ref _inFlight);
        return new Slot(lease, () => Interlocked.Decrement(ref _inFlight));
    }

    /// <summary>A slot for one OTLP request to read its body, taken before the body is read; null when none is free (answer 429).</summary>
    public IDisposable? TryEnterRequest()
    {
        var lease = _requests.AttemptAcquire();
        if (lease.IsAcquired) return lease;
        lease.Dispose();
        _metrics.IngestShed("requests_full");
        return null;
    }

    /// <summary>Throws when the fold is too far behind or storage is down (checked before any work).</summary>
    public void Refuse(string at)
    {
        if (_storageDown is { } down) throw new StorageUnavailableException($"PostgreSQL is unavailable: {down}");
        var backlog = _backlog;
        if (backlog.Items >= _options.MaxUnfoldedItems)
            Shed("unfolded_items", $"{backlog.Items:N0} ingested items wait to be folded (at most {_options.MaxUnfoldedItems:N0}); retry in a moment.");
        if (backlog.Lag(DateTimeOffset.UtcNow) is var lag && lag >= _options.MaxFoldLag)
            Shed("fold_lag", $"the fold is {lag.TotalSeconds:F0} s behind (at most {_options.MaxFoldLag.TotalSeconds:F0} s); retry in a moment.");
    }

    private RateLimitLease Shed(string reason, string? why = null)
    {
        _metrics.IngestShed(reason);
        throw new IngestOverloadedException($"Ingest is overloaded: {why ?? "every append slot of this silo is busy; retry in a moment."}");
    }

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                _backlog = await _log.BacklogAsync(ct: stop);
                _storageDown = null;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { return; }
            catch (Exception e) when (_storageErrors.Translate(e) is StorageUnavailableException)
            {
                // Storage down: refuse at once rather than pile batches up against it (the append would fail anyway).
                _storageDown = e.Message;
                _logger.LogDebug(e, "Reading the ingest backlog failed");
            }
            catch (Exception e) { _logger.LogWarning(e, "Reading the ingest backlog failed"); }
            try { await Task.Delay(_options.BacklogPollEvery, stop); } catch (OperationCanceledException) { return; }
        }
    }

    public override void Dispose()
    {
        _appends.Dispose();
        _requests.Dispose();
        base.Dispose();
    }

    private sealed class Slot(RateLimitLease lease, Action released) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            lease.Dispose();
            released();
        }
    }
}
