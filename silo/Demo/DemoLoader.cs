using Flowstate.Ingestion;
using Flowstate.Providers;
using Flowstate.Silo.Options;
using Flowstate.Workforce;

namespace Flowstate.Silo.Demo;

/// <summary>
/// Loads the demo org into an empty database once the silo is up (FLOWSTATE_DEMO, on by
/// default), through the same grains the GraphQL mutations call, then prints where to look.
/// </summary>
public sealed class DemoLoader(IGrainFactory grains, FlowstateOptions options, IHostApplicationLifetime lifetime, ILogger<DemoLoader> logger)
    : BackgroundService
{
    /// <summary>The org the demo data loads into (sign in to it with `./flowstate token --org demo`).</summary>
    public const string Org = "demo";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!await WaitForStartAsync(stoppingToken)) return;
        try
        {
            if (options.Demo) await LoadAsync(stoppingToken);
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            logger.LogError(e, "Loading the demo data failed");
        }
        var root = options.Http.TrimEnd('/');
        Console.WriteLine($"""

            Flowstate is running.
              Web app:   {root}/
              GraphQL:   {root}/graphql   (POST/GET; open it in a browser for the IDE)
              Dashboard: {root}/dashboard/
              Health:    {root}/healthz  {root}/readyz
            """);
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        var org = grains.GetGrain<IOrgGrain>(Org);
        if ((await org.GetCountsAsync()).People > 0)
        {
            logger.LogInformation("Org {Org} already has data; demo data not loaded again", Org);
            return;
        }
        var started = TimeProvider.System.GetTimestamp();
        var demo = DemoDataset.Generate(DateOnly.FromDateTime(DateTime.UtcNow));
        await org.UpsertWorkforceAsync(demo.Workforce);
        foreach (var p in demo.Providers)
            await grains.GetGrain<IProviderGrain>(GrainKeys.Join(Org, p.Id)).ConfigureAsync(p);
        var ingestion = grains.GetGrain<IIngestionGrain>(Org);
        foreach (var chunk in demo.Sessions.Chunk(2000))
        {
            ct.ThrowIfCancellationRequested();
            await UntilAnsweredAsync(() => ingestion.IngestSessionsAsync(chunk), ct);
        }
        foreach (var (providerId, rows) in demo.BillingPulls)
            foreach (var chunk in rows.Chunk(500))
                await UntilAnsweredAsync(() => ingestion.IngestBillingRowsAsync(providerId, chunk), ct);
        logger.LogInformation("Demo org {Org} loaded: {People} people, {Sessions} sessions, {Rows} billing rows in {Seconds:0.0}s",
            Org, demo.Workforce.People.Count, demo.Sessions.Count, demo.BillingPulls.Sum(p => p.Rows.Count),
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

    private async Task<bool> WaitForStartAsync(CancellationToken ct)
    {
        var started = new TaskCompletionSource();
        using var reg = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        using var cancel = ct.Register(() => started.TrySetCanceled());
        try { await started.Task; return true; }
        catch (TaskCanceledException) { return false; }
    }
}
