using Flowstate.Demo;
using Flowstate.Silo.Identity;
using Flowstate.Silo.Options;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Flowstate.Silo.Hosting;

/// <summary>
/// Once the silo is up and answers calls: loads the demo org (FLOWSTATE_DEMO, on by default) into an
/// empty database, saying when it starts and when it is done (<c>/readyz</c> answers 503 meanwhile),
/// then prints where to look. A load that fails stops the host loudly rather than leave half a demo.
/// </summary>
public sealed class StartupBanner(DemoLoader demo, DemoStatus status, FlowstateOptions options, IHostApplicationLifetime lifetime, ILogger<StartupBanner> logger,
                                  IHostEnvironment environment, IOptions<IdentityOptions> identity, NpgsqlDataSource db, IGrainFactory grains)
    : BackgroundService
{
    /// <summary>The org the demo data loads into (sign in to it with `./flowstate token --org demo`).</summary>
    public const string DemoOrg = "demo";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!await WaitForStartAsync(stoppingToken)) return;
        var root = options.Http.TrimEnd('/');
        if (options.Demo)
        {
            Console.WriteLine($"\nLoading the demo data (the demo org: ~220 people, 90 days); {root}/readyz answers 503 until it is done…");
            var started = TimeProvider.System.GetTimestamp();
            try
            {
                await UntilSiloAnswersAsync(stoppingToken);
                status.Loading("loading the demo data");
                await demo.LoadAsync(DemoOrg, DateOnly.FromDateTime(DateTime.UtcNow), stoppingToken);
                status.Loaded();
                Console.WriteLine($"Demo data loaded in {TimeProvider.System.GetElapsedTime(started).TotalSeconds:0} s; {root}/readyz is ready.");
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // Never leave a running silo with half a demo and no word: say so, and stop.
                status.Failed(e.Message);
                logger.LogCritical(e, "Loading the demo data failed; stopping. Start again on an empty database (or with FLOWSTATE_DEMO=0)");
                Console.Error.WriteLine($"\nLoading the demo data FAILED: {e.Message}\nFlowstate stops: start it again on an empty database, or with FLOWSTATE_DEMO=0.");
                Environment.ExitCode = 1;
                lifetime.StopApplication();
                return;
            }
        }
        Console.WriteLine($"""

            Flowstate is running.
              Web app:   {root}/
              GraphQL:   {root}/graphql   (POST/GET; open it in a browser for the IDE)
              Dashboard: {root}/dashboard/
              Health:    {root}/healthz  {root}/readyz
            """);
        if (environment.IsDevelopment() && identity.Value.UsesDevelopmentKey)
        {
            // Development sign-in: an admin of the demo org; the fragment never reaches the server.
            var token = DevelopmentTokens.Mint(await DevelopmentSigningKey.GetOrCreateAsync(db, stoppingToken),
                new TokenRequest { Org = DemoOrg, Roles = ["admin", "ops"], Subject = "demo-admin", Name = "Demo admin" });
            Console.WriteLine($"""
                  Sign in:   {root}/#token={token}
                  Token:     {token}
                             (an admin of the demo org who may also open the dashboard, 12 h; send as
                              "Authorization: Bearer <token>"; more with ./flowstate token)

                """);
        }
    }

    /// <summary>The host has started; the load begins only once a grain call is answered (the silo accepts calls).</summary>
    private async Task UntilSiloAnswersAsync(CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await grains.GetGrain<Flowstate.Workforce.IOrgGrain>(DemoOrg).GetCountsAsync().WaitAsync(TimeSpan.FromSeconds(10), ct);
                return;
            }
            catch (Exception e) when (attempt < 30 && !ct.IsCancellationRequested)
            {
                logger.LogInformation("The silo does not answer yet ({Error}); the demo load waits", e.Message);
                await Task.Delay(TimeSpan.FromSeconds(2), ct);
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
