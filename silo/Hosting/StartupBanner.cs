using Flowstate.Demo;
using Flowstate.Silo.Identity;
using Flowstate.Silo.Options;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Flowstate.Silo.Hosting;

/// <summary>
/// Once the silo is up: loads the demo org (FLOWSTATE_DEMO, on by default) into an empty database,
/// then prints where to look.
/// </summary>
public sealed class StartupBanner(DemoLoader demo, FlowstateOptions options, IHostApplicationLifetime lifetime, ILogger<StartupBanner> logger,
                                  IHostEnvironment environment, IOptions<IdentityOptions> identity, NpgsqlDataSource db)
    : BackgroundService
{
    /// <summary>The org the demo data loads into (sign in to it with `./flowstate token --org demo`).</summary>
    public const string DemoOrg = "demo";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!await WaitForStartAsync(stoppingToken)) return;
        try
        {
            if (options.Demo) await demo.LoadAsync(DemoOrg, DateOnly.FromDateTime(DateTime.UtcNow), stoppingToken);
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
        if (environment.IsDevelopment() && identity.Value.UsesDevelopmentKey)
        {
            // Development sign-in: an admin of the demo org; the fragment never reaches the server.
            var token = DevelopmentTokens.Mint(await DevelopmentSigningKey.GetOrCreateAsync(db, stoppingToken),
                new TokenRequest { Org = DemoOrg, Roles = ["admin"], Subject = "demo-admin", Name = "Demo admin" });
            Console.WriteLine($"""
                  Sign in:   {root}/#token={token}
                  Token:     {token}
                             (an admin of the demo org, 12 h; send as "Authorization: Bearer <token>"; more with ./flowstate token)

                """);
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
