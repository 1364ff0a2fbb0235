using System.Diagnostics.Metrics;
using Flowstate.Ingestion;
using Flowstate.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Flowstate.Tests.Unit;

/// <summary>The ingest admission's bounded slots: a full silo refuses at once with OVERLOADED, and a released slot is free again.</summary>
public sealed class IngestAdmissionTests
{
    private static (IngestAdmission Admission, FlowstateMetrics Metrics) New(IngestOptions options)
    {
        var metrics = new ServiceCollection().AddFlowstateMetrics().BuildServiceProvider().GetRequiredService<FlowstateMetrics>();
        // The backlog poller is not started: the backlog reads as empty, so only the slots decide.
        var log = new IngestLogStore(NpgsqlDataSource.Create("Host=127.0.0.1;Database=unused"));
        return (new IngestAdmission(options, log, metrics, new StorageExceptionFilter(), NullLogger<IngestAdmission>.Instance), metrics);
    }

    [Fact]
    public async Task Enter_WhenEveryAppendSlotIsBusy_IsOverloaded_AndAReleasedSlotIsFreeAgain()
    {
        var (admission, metrics) = New(new IngestOptions { MaxAppendsInFlight = 2, MaxQueuedAppends = 0 });
        long shed = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) => { if (metrics.Owns(i.Meter) && i.Name == "flowstate.ingest_shed") l.EnableMeasurementEvents(i); };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref shed, value));
        listener.Start();

        var first = await admission.EnterAsync();
        using var second = await admission.EnterAsync();
        Assert.Equal(2, metrics.IngestLevels.InFlight);
        var refused = await Assert.ThrowsAsync<IngestOverloadedException>(() => admission.EnterAsync());
        Assert.Contains("busy", refused.Message);
        Assert.Equal(1L, Interlocked.Read(ref shed));

        first.Dispose();
        first.Dispose();   // a second release frees nothing more
        Assert.Equal(1, metrics.IngestLevels.InFlight);
        using var third = await admission.EnterAsync();
        Assert.Equal(2, metrics.IngestLevels.InFlight);
        await Assert.ThrowsAsync<IngestOverloadedException>(() => admission.EnterAsync());
    }

    [Fact]
    public void RequestSlots_AreBounded_AndNullWhenFull()
    {
        var (admission, _) = New(new IngestOptions { MaxRequestsInFlight = 1 });
        var held = admission.TryEnterRequest();
        Assert.NotNull(held);
        Assert.Null(admission.TryEnterRequest());
        held!.Dispose();
        using var again = admission.TryEnterRequest();
        Assert.NotNull(again);
    }

    [Theory]
    [InlineData(nameof(IngestOptions.MaxAppendsInFlight))]
    [InlineData(nameof(IngestOptions.MaxUnfoldedItems))]
    [InlineData(nameof(IngestOptions.MaxFoldLag))]
    public void Options_OutOfRange_AreNamed(string name)
    {
        var options = name switch
        {
            nameof(IngestOptions.MaxAppendsInFlight) => new IngestOptions { MaxAppendsInFlight = 0 },
            nameof(IngestOptions.MaxUnfoldedItems) => new IngestOptions { MaxUnfoldedItems = 5 },
            _ => new IngestOptions { MaxFoldLag = TimeSpan.Zero },
        };
        Assert.Contains(options.Problems("Flowstate:Ingest"), p => p.StartsWith($"Flowstate:Ingest:{name} ", StringComparison.Ordinal));
        Assert.Empty(new IngestOptions().Problems("Flowstate:Ingest"));
    }

    [Fact]
    public void FoldLag_IsAGauge_OfWhatTheAdmissionLastRead()
    {
        var metrics = new ServiceCollection().AddFlowstateMetrics().BuildServiceProvider().GetRequiredService<FlowstateMetrics>();
        metrics.ObserveIngest(() => (3, 1234, 2.5));
        var seen = new Dictionary<string, double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) => { if (metrics.Owns(i.Meter) && i.Name.StartsWith("flowstate.ingest_", StringComparison.Ordinal)) l.EnableMeasurementEvents(i); };
        listener.SetMeasurementEventCallback<double>((i, value, _, _) => seen[i.Name] = value);
        listener.SetMeasurementEventCallback<long>((i, value, _, _) => seen[i.Name] = value);
        listener.Start();
        listener.RecordObservableInstruments();
        Assert.Equal(2.5, seen["flowstate.ingest_fold_lag"]);
        Assert.Equal(1234, seen["flowstate.ingest_unfolded_items"]);
        Assert.Equal(3, seen["flowstate.ingest_appends_in_flight"]);
    }
}
