using Flowstate.Demo;
using Flowstate.Silo.Options;

namespace Flowstate.Silo.Hosting;

/// <summary>
/// Once the silo is up: loads the demo org (FLOWSTATE_DEMO, on by default) into an empty database,
/// then prints where to look.
/// </summary>
public sealed class StartupBanner(DemoLoader demo, FlowstateOptions options, IHostApplicationLifetime lifetime, ILogger<StartupBanner> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!await WaitForStartAsync(stoppingToken)) return;
        try
        {
            if (options.Demo) await demo.LoadAsync(options.DefaultOrg, DateOnly.FromDateTime(DateTime.UtcNow), stoppingToken);
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

    private async Task<bool> WaitForStartAsync(CancellationToken ct)
    {
        var started = new TaskCompletionSource();
        using var reg = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        using var cancel = ct.Register(() => started.TrySetCanceled());
        try { await started.Task; return true; }
        catch (TaskCanceledException) { return false; }
    }
}
