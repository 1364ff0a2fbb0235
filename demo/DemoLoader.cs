using Flowstate.Ingestion;
using Flowstate.Providers;
using Flowstate.Workforce;
using Microsoft.Extensions.Logging;

namespace Flowstate.Demo;

/// <summary>
/// Loads the demo org into an empty org once, through the same grains the GraphQL mutations call.
/// The host calls it at start when FLOWSTATE_DEMO is on.
/// </summary>
public sealed class DemoLoader(IGrainFactory grains, ILogger<DemoLoader> logger)
{
    public async Task LoadAsync(string orgId, DateOnly today, CancellationToken ct)
    {
        var org = grains.GetGrain<IOrgGrain>(orgId);
        if ((await org.GetCountsAsync()).People > 0)
        {
            logger.LogInformation("Org {Org} already has data; demo data not loaded again", orgId);
            return;
        }
        var started = TimeProvider.System.GetTimestamp();
        var demo = DemoDataset.Generate(today);
        await org.UpsertWorkforceAsync(demo.Workforce);
        foreach (var p in demo.Providers)
            await grains.GetGrain<IProviderGrain>(GrainKeys.Join(orgId, p.Id)).ConfigureAsync(p);
        var ingestion = grains.GetGrain<IIngestionGrain>(orgId);
        foreach (var chunk in demo.Sessions.Chunk(2000))
        {
            ct.ThrowIfCancellationRequested();
            await UntilAnsweredAsync(() => ingestion.IngestSessionsAsync(chunk), ct);
        }
        // OpenAI, Anthropic, Cursor and Copilot bills come through their connectors from a local sandbox (Sandbox/DemoPulls.cs).
        foreach (var (providerId, rows) in await Sandbox.DemoPulls.ThroughSandboxAsync(grains, orgId, demo, logger, ct))
            foreach (var chunk in rows.Chunk(500))
                await UntilAnsweredAsync(() => ingestion.IngestBillingRowsAsync(providerId, chunk), ct);
        logger.LogInformation("Demo org {Org} loaded: {People} people, {Sessions} sessions, {Rows} billing rows in {Seconds:0.0}s",
            orgId, demo.Workforce.People.Count, demo.Sessions.Count, demo.BillingPulls.Sum(p => p.Rows.Count),
            TimeProvider.System.GetElapsedTime(started).TotalSeconds);
    }

    /// <summary>
    /// Ingestion is idempotent, so a batch whose answer timed out (a busy machine can take longer than
    /// Orleans' 30 s response timeout for a batch) is simply sent again.
    /// </summary>
    private async Task UntilAnsweredAsync<T>(Func<Task<T>> ingest, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try { await ingest(); return; }
            catch (TimeoutException) when (attempt < 10 && !ct.IsCancellationRequested)
            {
                logger.LogWarning("A demo batch timed out (attempt {Attempt}); sending it again", attempt);
            }
        }
    }
}
