using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Flowstate.Silo.Hosting;
using Flowstate.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Flowstate.Tests.Integration;

/// <summary>Tests that run silo processes of their own; one at a time (they load the machine).</summary>
[CollectionDefinition(Name)]
public sealed class ProcessCollection { public const string Name = "processes"; }

/// <summary>
/// A silo process on a connection budget, and PostgreSQL taken away from it for 20 s under load
/// (through a proxy, so the server other tests use stays up): the silo holds at most its budget of
/// connections, answers 503 with Retry-After fast while storage is gone, reports not ready, does not
/// crash, and recovers by itself with every acknowledged action and session present.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class PostgresOutageTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Budget = 8;
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(20);
    private TestDatabase _db = null!;
    private TcpProxy _proxy = null!;
    private LocalCluster _cluster = null!;
    private SiloHttp _http = null!;
    private readonly ConcurrentQueue<string> _log = new();

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        (_proxy, var throughProxy) = TcpProxy.Before(_db.ConnectionString);
        _cluster = SiloBinary.Cluster(throughProxy, "outage-tests", 1, _log, new Dictionary<string, string> { ["FLOWSTATE_DB_MAX_CONNECTIONS"] = Budget.ToString() });
        _http = new SiloHttp(await TestTokens.MintAsync(_db.ConnectionString, "outage-tests"));
        await _cluster.StartAsync(TimeSpan.FromSeconds(120));
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        _http.Dispose();
        await _proxy.DisposeAsync();
        await _db.DisposeAsync();
    }

    [Fact]
    public async Task UnderLoad_TheSiloKeepsItsConnectionBudget_AndRidesOutAnOutage()
    {
        var silo = _cluster.Silos[0];
        var load = new MixedLoad(_http, () => [silo.Url], rows: 24, rowWorkers: 12, sessionWorkers: 4);
        await load.SeedAsync();

        using var stop = new CancellationTokenSource();
        // Client connections by phase: 0 before the outage, 1 during it (backends of cut connections linger a moment), 2 after.
        // Only client backends count: autovacuum and parallel query workers show the database's name too.
        var connections = new List<(int Phase, long Count, string ByPool)>();
        var phase = 0;
        var sampling = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var byPool = await _db.ScalarAsync<string>("""
                    select coalesce(string_agg(application_name || ' ' || n, ', '), '') from (select application_name, count(*) n from pg_stat_activity
                    where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend' group by 1) t
                    """);
                var count = byPool.Split(", ", StringSplitOptions.RemoveEmptyEntries).Sum(p => long.Parse(p[(p.LastIndexOf(' ') + 1)..]));
                lock (connections) connections.Add((Volatile.Read(ref phase), count, byPool));
                await Task.Delay(100);
            }
        });
        var running = load.RunAsync(stop.Token);

        // Before: the budget holds under 16 concurrent clients.
        await SiloHttp.UntilAsync(() => Task.FromResult(load.AcknowledgedActions >= 100 && load.AcknowledgedBatches >= 20), TimeSpan.FromSeconds(60), "load before the outage", Log);
        var failuresBefore = load.Failures.Count;

        // The outage: storage refuses every connection for 20 s while the load goes on.
        var ackedBefore = load.AcknowledgedActions;
        Volatile.Write(ref phase, 1);
        _proxy.Cut();
        var outage = Stopwatch.StartNew();
        var readiness = new List<HttpStatusCode>();
        while (outage.Elapsed < Outage)
        {
            readiness.Add(await _http.ReadyAsync(silo.Url));
            await Task.Delay(500);
        }
        var duringOutage = load.Failures.Skip(failuresBefore).ToList();
        _proxy.Restore();
        await Task.Delay(TimeSpan.FromSeconds(2));
        Volatile.Write(ref phase, 2);

        // After: it recovers by itself, without a restart.
        var recovery = Stopwatch.StartNew();
        await SiloHttp.UntilAsync(async () => await _http.ReadyAsync(silo.Url) == HttpStatusCode.OK, TimeSpan.FromSeconds(60), "ready again", Log);
        var ackedAtRecovery = load.AcknowledgedActions;
        await SiloHttp.UntilAsync(() => Task.FromResult(load.AcknowledgedActions >= ackedAtRecovery + 100), TimeSpan.FromSeconds(90), "actions acknowledged again", Log);
        var recovered = recovery.Elapsed;
        stop.Cancel();
        await running;
        await sampling;

        Assert.True(silo.IsRunning, "the silo crashed:\n" + Log());
        var steady = connections.Where(c => c.Phase != 1).MaxBy(c => c.Count);
        Assert.True(steady.Count <= Budget, $"at most {Budget} connections; saw {steady.Count}: {steady.ByPool}");
        Assert.True(failuresBefore == 0, $"{failuresBefore} failures before the outage: {load.DescribeFailures()}\n{load.FailureExamples()}");
        Assert.Contains(HttpStatusCode.ServiceUnavailable, readiness);
        Assert.True(readiness.Count(r => r == HttpStatusCode.ServiceUnavailable) >= readiness.Count - 4, "not ready through the outage: " + string.Join(",", readiness.Select(r => (int)r)));
        Assert.NotEmpty(duringOutage);
        // Failing fast: 503 with Retry-After, well within the connection wait, never a hang or another error.
        var answered = duringOutage.Where(f => f.Answer is not null).ToList();
        Assert.All(answered, f => Assert.True(f.Answer!.Status == HttpStatusCode.ServiceUnavailable && f.Answer.Code == "STORAGE_UNAVAILABLE" && f.Answer.RetryAfter == "5",
            $"{(int)f.Answer.Status} {f.Answer.Code}: {f.Answer.Body}"));
        var slowest = duringOutage.Max(f => f.Took);
        Assert.True(slowest < TimeSpan.FromSeconds(12), $"slowest failure took {slowest.TotalSeconds:0.0} s");

        await Task.Delay(TimeSpan.FromSeconds(3));   // quiet: journal replay re-sends any push the outage caught
        await SiloHttp.UntilAsync(async () =>
        {
            try { await load.VerifyAsync(_db); return true; }
            catch (Xunit.Sdk.XunitException) { return false; }
        }, TimeSpan.FromSeconds(60), "the period re-converged on its rows", Log);
        var (actions, sessions) = await load.VerifyAsync(_db);
        output.WriteLine($"outage: {ackedBefore} actions acknowledged before, {duringOutage.Count} requests failed in {Outage.TotalSeconds:0} s " +
                         $"(slowest {slowest.TotalSeconds:0.00} s): {load.DescribeFailures()}; ready again and acting {recovered.TotalSeconds:0.0} s after; " +
                         $"peak connections {steady.Count} of {Budget} ({steady.ByPool}), {connections.Where(c => c.Phase == 1).Max(c => c.Count)} while cut. Rows' last acknowledged actions: {actions}. Sessions: {sessions}.");
        Assert.Equal(0, actions.Lost);
        Assert.Equal(0, sessions.Lost);
        Assert.Equal(0, sessions.Duplicated);
    }

    private string Log() => "Last silo output:\n" + string.Join('\n', _log.TakeLast(60));
}
