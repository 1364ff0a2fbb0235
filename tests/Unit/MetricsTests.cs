using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace Flowstate.Tests.Unit;

/// <summary>The instruments of <see cref="FlowstateMetrics"/> as a listener (the OpenTelemetry exporter) sees them.</summary>
public sealed class MetricsTests
{
    private sealed class Recorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        public List<(string Name, long Value, Dictionary<string, object?> Tags)> Measurements { get; } = [];

        public Recorder(FlowstateMetrics metrics)
        {
            // Only this instance's meter: other tests' metrics live in the same process.
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == FlowstateMetrics.MeterName && metrics.Owns(instrument.Meter)) listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                lock (Measurements) Measurements.Add((instrument.Name, value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value)));
            });
            _listener.Start();
        }

        public long Sum(string name, params (string Key, string Value)[] tags)
        {
            lock (Measurements)
                return Measurements.Where(m => m.Name == name && tags.All(t => Equals(m.Tags.GetValueOrDefault(t.Key), t.Value))).Sum(m => m.Value);
        }

        public void Observe() => _listener.RecordObservableInstruments();
        public void Dispose() => _listener.Dispose();
    }

    private static FlowstateMetrics NewMetrics() =>
        new ServiceCollection().AddFlowstateMetrics().BuildServiceProvider().GetRequiredService<FlowstateMetrics>();

    [Fact]
    public void Ingested_CountsEachOutcomeByKind_AndSkipsZeros()
    {
        var metrics = NewMetrics();
        using var recorder = new Recorder(metrics);
        metrics.Ingested("session", accepted: 5, duplicates: 2, rejected: 0);
        metrics.Ingested("billing_row", accepted: 1, duplicates: 0, rejected: 3);

        Assert.Equal(5, recorder.Sum("flowstate.ingested_items", ("kind", "session"), ("outcome", "accepted")));
        Assert.Equal(2, recorder.Sum("flowstate.ingested_items", ("kind", "session"), ("outcome", "duplicate")));
        Assert.Equal(3, recorder.Sum("flowstate.ingested_items", ("kind", "billing_row"), ("outcome", "rejected")));
        Assert.DoesNotContain(recorder.Measurements, m => m.Value == 0);
    }

    [Fact]
    public void OutboxBacklog_RisesWithStoredPushes_AndFallsWithAcknowledgements()
    {
        var metrics = NewMetrics();
        using var recorder = new Recorder(metrics);
        metrics.OutboxChanged("billing-row", 3);
        metrics.OutboxChanged("subject-month", 2);
        metrics.OutboxChanged("billing-row", -3);
        metrics.RepairResent("subject-month", 2);

        Assert.Equal(2, metrics.OutboxBacklog);
        Assert.Equal(0, recorder.Sum("flowstate.outbox_backlog", ("grain", "billing-row")));
        Assert.Equal(2, recorder.Sum("flowstate.outbox_backlog", ("grain", "subject-month")));
        Assert.Equal(2, recorder.Sum("flowstate.repair_resends", ("grain", "subject-month")));
    }

    [Fact]
    public void Levels_AreObservedAsTheyStandNow()
    {
        var metrics = NewMetrics();
        using var recorder = new Recorder(metrics);
        metrics.WebSocketConnected();
        metrics.OperationStarted();
        metrics.FeedStarted();
        metrics.WentLive();
        metrics.FeedStarted();
        metrics.FeedEnded();
        recorder.Observe();

        Assert.Equal(1, recorder.Sum("flowstate.websocket_connections"));
        Assert.Equal(1, recorder.Sum("flowstate.websocket_operations"));
        Assert.Equal(1, recorder.Sum("flowstate.subscription_feeds", ("state", "running")));
        Assert.Equal(1, recorder.Sum("flowstate.subscription_feeds", ("state", "live_row")));
        Assert.Equal((1, 1, 1, 1), (metrics.WebSocketConnections, metrics.WebSocketOperations, metrics.Feeds, metrics.LiveRowFeeds));
    }
}
