using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Flowstate;

/// <summary>
/// Flowstate's own instruments, all on the one <see cref="Meter"/> named <see cref="MeterName"/>
/// that the host exports at <c>/metrics</c> (Prometheus text, through OpenTelemetry). One instance
/// per silo, injected wherever something is counted: add an instrument here rather than a meter or
/// a static counter of your own. Levels (connections, feeds, backlog) are also kept as plain numbers
/// so the host can show them as JSON (<c>/metrics/subscriptions</c>) and tests can read them.
/// </summary>
public sealed class FlowstateMetrics : IDisposable
{
    public const string MeterName = "Flowstate";

    /// <summary>The fold's time per window and stage (<see cref="FoldStage"/>), and its stages in pipeline order.</summary>
    public const string FoldStageInstrument = "flowstate.ingest_fold_stage_duration";
    public static readonly IReadOnlyList<string> FoldStages = ["read", "sessions", "partitions", "rematch"];

    private readonly Meter _meter;
    private readonly Counter<long> _actions, _ingested, _pullRuns, _resends, _shed;
    private Func<(int InFlight, long Unfolded, double LagSeconds)> _ingest = () => (0, 0, 0);
    private readonly UpDownCounter<long> _outbox;
    private readonly Histogram<double> _foldStage;
    private int _connections, _operations, _feeds, _liveRowFeeds;
    private long _outboxBacklog;

    public FlowstateMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _actions = _meter.CreateCounter<long>("flowstate.row_actions", "{action}",
            "Row actions (CONFIRM, WRITE_OFF, DEFER, REOPEN) by outcome: applied, or the error code that refused them.");
        _ingested = _meter.CreateCounter<long>("flowstate.ingested_items", "{item}",
            "Ingested billing rows and sessions by outcome: accepted, duplicate or rejected.");
        _pullRuns = _meter.CreateCounter<long>("flowstate.pull_runs", "{run}", "Provider billing pulls by provider and outcome.");
        _resends = _meter.CreateCounter<long>("flowstate.repair_resends", "{push}",
            "Pending pushes re-sent after a crash or a failed push, by the kind of grain that owed them.");
        _outbox = _meter.CreateUpDownCounter<long>("flowstate.outbox_backlog", "{push}",
            "Pushes stored as pending and not yet acknowledged by their target, by the kind of grain that owes them.");
        _shed = _meter.CreateCounter<long>("flowstate.ingest_shed", "{batch}",
            "Ingest batches refused with 429/503 before anything was stored, by reason (appends_full, queue_timeout, requests_full, unfolded_items, fold_lag).");
        _foldStage = _meter.CreateHistogram<double>(FoldStageInstrument, "s",
            "Time each fold window spent per stage: read (the window's items), sessions (the sessions table), partitions (usage partitions and what they push), rematch (billing rows near them).");
        _meter.CreateObservableGauge("flowstate.ingest_fold_lag", () => _ingest().LagSeconds, "s",
            "Age of the oldest ingest-log item not folded yet into sessions, partitions and rollups (0 when the fold is caught up).");
        _meter.CreateObservableUpDownCounter("flowstate.ingest_unfolded_items", () => _ingest().Unfolded, "{item}",
            "Ingest-log items appended and not folded yet (all silos).");
        _meter.CreateObservableUpDownCounter("flowstate.ingest_appends_in_flight", () => (long)_ingest().InFlight, "{batch}",
            "Ingest batches appending to the log on this silo.");
        _meter.CreateObservableUpDownCounter("flowstate.websocket_connections", () => (long)Volatile.Read(ref _connections), "{connection}",
            "Open graphql-transport-ws connections.");
        _meter.CreateObservableUpDownCounter("flowstate.websocket_operations", () => (long)Volatile.Read(ref _operations), "{operation}",
            "Operations registered on WebSocket connections: queries in flight plus live subscriptions.");
        _meter.CreateObservableUpDownCounter("flowstate.subscription_feeds", () => new[]
        {
            new Measurement<long>(Volatile.Read(ref _feeds), new KeyValuePair<string, object?>("state", "running")),
            new Measurement<long>(Volatile.Read(ref _liveRowFeeds), new KeyValuePair<string, object?>("state", "live_row")),
        }, "{feed}", "Subscription feeds on this silo: running (either kind), and rowStatusChanged feeds past their replay (live_row).");
    }

    /// <summary>Open graphql-transport-ws connections on this silo.</summary>
    public int WebSocketConnections => Volatile.Read(ref _connections);

    /// <summary>Operations registered on this silo's WebSocket connections (queries in flight plus live subscriptions).</summary>
    public int WebSocketOperations => Volatile.Read(ref _operations);

    /// <summary>Subscription feeds (GraphQL subscriptions of either kind) running on this silo.</summary>
    public int Feeds => Volatile.Read(ref _feeds);

    /// <summary>rowStatusChanged feeds past their replay, delivering live changes.</summary>
    public int LiveRowFeeds => Volatile.Read(ref _liveRowFeeds);

    /// <summary>Pending pushes held by this silo's grains and not yet acknowledged.</summary>
    public long OutboxBacklog => Volatile.Read(ref _outboxBacklog);

    /// <summary>A row action ended: <paramref name="outcome"/> is <c>applied</c> or the error code that refused it.</summary>
    public void RowAction(string action, string outcome) =>
        _actions.Add(1, new KeyValuePair<string, object?>("action", action), new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>An ingested batch of <paramref name="kind"/> (<c>billing_row</c>, <c>session</c>, …) was answered.</summary>
    public void Ingested(string kind, int accepted, int duplicates, int rejected)
    {
        Add(_ingested, accepted, kind, "accepted");
        Add(_ingested, duplicates, kind, "duplicate");
        Add(_ingested, rejected, kind, "rejected");
    }

    /// <summary>One fold window's time in one stage (read, sessions, partitions, rematch).</summary>
    public void FoldStage(string stage, TimeSpan took) => _foldStage.Record(took.TotalSeconds, new KeyValuePair<string, object?>("stage", stage));

    /// <summary>The ingest admission's levels, read at each scrape (set once by the silo's admission).</summary>
    public void ObserveIngest(Func<(int InFlight, long Unfolded, double LagSeconds)> levels) => _ingest = levels;

    /// <summary>Ingest levels now: appends in flight on this silo, unfolded items, fold lag in seconds.</summary>
    public (int InFlight, long Unfolded, double LagSeconds) IngestLevels => _ingest();

    /// <summary>An ingest batch was refused before anything was stored (<paramref name="reason"/>: which bound).</summary>
    public void IngestShed(string reason) => _shed.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>A billing pull of <paramref name="provider"/> finished (<paramref name="outcome"/>: <c>succeeded</c>, <c>failed</c>, …).</summary>
    public void PullRun(string provider, string outcome) =>
        _pullRuns.Add(1, new KeyValuePair<string, object?>("provider", provider), new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>A grain of kind <paramref name="grain"/> stored (positive) or was acknowledged for (negative) pending pushes.</summary>
    public void OutboxChanged(string grain, int delta)
    {
        if (delta == 0) return;
        Interlocked.Add(ref _outboxBacklog, delta);
        _outbox.Add(delta, new KeyValuePair<string, object?>("grain", grain));
    }

    /// <summary>A grain of kind <paramref name="grain"/> re-sent <paramref name="pushes"/> pending pushes (on activation or from its reminder).</summary>
    public void RepairResent(string grain, int pushes)
    {
        if (pushes > 0) _resends.Add(pushes, new KeyValuePair<string, object?>("grain", grain));
    }

    public void WebSocketConnected() => Interlocked.Increment(ref _connections);
    public void WebSocketDisconnected() => Interlocked.Decrement(ref _connections);
    public void OperationStarted() => Interlocked.Increment(ref _operations);
    public void OperationEnded() => Interlocked.Decrement(ref _operations);
    public void FeedStarted() => Interlocked.Increment(ref _feeds);
    public void FeedEnded() => Interlocked.Decrement(ref _feeds);
    public void WentLive() => Interlocked.Increment(ref _liveRowFeeds);
    public void LeftLive() => Interlocked.Decrement(ref _liveRowFeeds);

    private static void Add(Counter<long> counter, int value, string kind, string outcome)
    {
        if (value > 0) counter.Add(value, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("outcome", outcome));
    }

    /// <summary>True for this instance's meter (several silos, or tests, may share one process).</summary>
    public bool Owns(Meter meter) => ReferenceEquals(meter, _meter);

    public void Dispose() => _meter.Dispose();
}

public static class FlowstateMetricsServiceCollectionExtensions
{
    /// <summary>Registers the one <see cref="FlowstateMetrics"/> of this service provider (idempotent).</summary>
    public static IServiceCollection AddFlowstateMetrics(this IServiceCollection services)
    {
        services.AddMetrics();
        services.TryAddSingleton<FlowstateMetrics>();
        return services;
    }
}
