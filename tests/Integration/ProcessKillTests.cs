using System.Diagnostics;
using System.Text.Json.Nodes;
using Flowstate.Silo.Hosting;
using Flowstate.Tests.Infrastructure;

namespace Flowstate.Tests.Integration;

/// <summary>
/// The real host as a separate process, killed with SIGKILL in the middle of a burst of actions
/// and started again: with no call to any row, the journal replay must bring every period up to
/// its rows; then every acknowledged action must be there, and every period must add up to its rows.
/// </summary>
[Collection(DurabilityCollection.Name)]
public sealed class ProcessKillTests : IAsyncLifetime
{
    /// <summary>Rows acted on: enough that part of the burst is still in flight at the kill on a loaded machine.</summary>
    private const int Rows = 200;  // one inbox page (first: 200) holds them all
    private TestDatabase _db = null!;
    private SiloHttp _http = null!;
    private LocalCluster? _cluster;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _http = new SiloHttp(await TestTokens.MintAsync(_db.ConnectionString, "kill-test"));
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null) await _cluster.DisposeAsync();
        _http.Dispose();
        await _db.DisposeAsync();
    }

    [Fact]
    public async Task KillDuringActions_LosesNoAcknowledgedAction()
    {
        var silo = await StartSiloAsync();
        // Rows of the current month, so that DEFER waits as DEFERRED in it (an ended month would return them at once).
        var today = DateTime.UtcNow;
        var period = today.ToString("yyyy-MM");
        await Gql(silo, """mutation { configureProvider(input: { id: "claude", name: "Claude" }) { id } }""");
        var rows = Enumerable.Range(0, Rows).Select(i => new { externalId = $"k{i}", subject = "ann", usageDate = today.ToString("yyyy-MM-dd"), totalCostUsd = $"{i + 1}.25" }).ToArray();
        await Gql(silo, "mutation($i: IngestBillingRowsInput!) { ingestBillingRows(input: $i) { accepted } }", new { i = new { providerId = "claude", rows } });

        var acked = new System.Collections.Concurrent.ConcurrentDictionary<string, string>();
        var killed = 0;
        async Task Act(int i)
        {
            var (action, status) = i % 2 == 0 ? ("WRITE_OFF", "WRITTEN_OFF") : ("DEFER", "DEFERRED");
            try
            {
                var data = await Gql(silo, "mutation($i: RowActionInput!) { applyRowAction(input: $i) { row { id status } } }",
                    new { i = new { rowId = $"claude/k{i}", action, note = "kill test" } });
                acked[$"claude/k{i}"] = data!["applyRowAction"]!["row"]!["status"]!.GetValue<string>();
                // The first acknowledgement of the second wave kills the silo at once: on a quiet machine a
                // polling loop saw the whole burst acknowledged before it got round to the kill.
                if (i >= 10 && Interlocked.Exchange(ref killed, 1) == 0) silo.Kill();
            }
            catch (Exception) { /* not acknowledged: either outcome is allowed */ }
        }
        // A first wave is acknowledged before the kill; the second is sent all at once and the silo is
        // killed as soon as it is on the wire, so some of it is in flight however slow the machine is.
        var firstWave = Enumerable.Range(0, 10).Select(Act).ToList();
        await Task.WhenAll(firstWave);
        var secondWave = Enumerable.Range(10, Rows - 10).Select(Act).ToList();
        for (var wait = Stopwatch.StartNew(); Volatile.Read(ref killed) == 0 && wait.Elapsed < TimeSpan.FromSeconds(20);) await Task.Delay(1);
        if (Interlocked.Exchange(ref killed, 1) == 0) silo.Kill();  // SIGKILL while the rest of the burst is in flight
        var burst = firstWave.Concat(secondWave);
        Assert.InRange(acked.Count, 5, Rows - 1);
        await Task.WhenAll(burst);
        await silo.Exited;

        silo = await StartSiloAsync();
        // Pushes the kill cut off are re-sent by the journal replay alone (no client call until it is empty).
        for (var wait = Stopwatch.StartNew(); await _db.ScalarAsync<long>("select count(*) from durable_intents") > 0;)
        {
            Assert.True(wait.Elapsed < TimeSpan.FromSeconds(30), "the journal replay did not empty the journal within 30 s");
            await Task.Delay(200);
        }
        var inbox = await Gql(silo, """
            query($p: String!) { reconciliation(period: $p, statuses: [UNRECONCILED, SUGGESTED, AUTO_MATCHED, CONFIRMED, WRITTEN_OFF, DEFERRED], first: 200) {
                summary { billed writtenOff rowCount } rows { edges { node { id status totalCostUsd } } } } }
            """, new { p = period });
        var nodes = inbox!["reconciliation"]!["rows"]!["edges"]!.AsArray().Select(e => e!["node"]!).ToDictionary(n => n["id"]!.GetValue<string>());
        foreach (var (id, status) in acked) Assert.Equal(status, nodes[id]["status"]!.GetValue<string>());
        var summary = inbox["reconciliation"]!["summary"]!;
        Assert.Equal(Rows, summary["rowCount"]!.GetValue<int>());
        Assert.Equal(nodes.Values.Sum(n => decimal.Parse(n["totalCostUsd"]!.GetValue<string>())), decimal.Parse(summary["billed"]!.GetValue<string>()));
        Assert.Equal(nodes.Values.Where(n => n["status"]!.GetValue<string>() == "WRITTEN_OFF").Sum(n => decimal.Parse(n["totalCostUsd"]!.GetValue<string>())),
            decimal.Parse(summary["writtenOff"]!.GetValue<string>()));
    }

    /// <summary>A silo process on free ports (new ones on each start, so a restart never waits on the killed one's sockets).</summary>
    private async Task<LocalSilo> StartSiloAsync()
    {
        if (_cluster is not null) await _cluster.DisposeAsync();
        _cluster = SiloBinary.Cluster(_db.ConnectionString, "kill-test", 1);
        await _cluster.StartAsync(TimeSpan.FromSeconds(120));
        return _cluster.Silos[0];
    }

    /// <summary>The data of a request that must succeed; a GraphQL error or a refusal throws (an action not acknowledged).</summary>
    private async Task<JsonNode?> Gql(LocalSilo silo, string query, object? variables = null)
    {
        var answer = await _http.PostAsync(silo.Url, query, variables);
        if (!answer.Ok) throw new InvalidOperationException($"{(int)answer.Status}: {answer.Body}");
        return answer.Data;
    }
}
