using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Flowstate.Silo.Hosting;
using Flowstate.Tests.Infrastructure;

namespace Flowstate.Tests.Integration;

/// <summary>
/// Three real silo processes in one ADO.NET cluster (what <c>./flowstate cluster 3</c> runs): a silo
/// stopped with SIGTERM drains and leaves; a silo killed with SIGKILL is declared dead, its grains
/// come back on the others with nothing acknowledged lost, and it rejoins when started again.
/// </summary>
[Collection(DurabilityCollection.Name)]
public sealed class LocalClusterTests : IAsyncLifetime
{
    private static readonly TimeSpan Ready = TimeSpan.FromSeconds(120);
    private TestDatabase _db = null!;
    private LocalCluster _cluster = null!;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly ConcurrentQueue<string> _log = new();
    private string _token = "";

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _cluster = SiloBinary.Cluster(_db.ConnectionString, "cluster-tests", 3, _log, new Dictionary<string, string> { ["Flowstate__ShutdownSeconds"] = "20" });
        _token = await TestTokens.MintAsync(_db.ConnectionString, "cluster-tests", "admin", "ops");   // ops: it reads /metrics
        _http.SignedIn(_token);
        await _cluster.StartAsync(Ready);
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        _http.Dispose();
        await _db.DisposeAsync();
    }

    [Fact]
    public async Task SigtermDrains_SigkillIsDeclaredDead_GrainsReactivateElsewhere_AndTheSiloRejoins()
    {
        var period = DateTime.UtcNow.ToString("yyyy-MM");
        var silos = _cluster.Silos;
        await Gql(silos[0], """mutation { configureProvider(input: { id: "p", name: "P" }) { id } }""");
        var rows = Enumerable.Range(0, 30).Select(i => new { externalId = $"r{i}", subject = "ann", usageDate = DateTime.UtcNow.ToString("yyyy-MM-dd"), totalCostUsd = $"{i + 1}.50" }).ToArray();
        await Gql(silos[0], "mutation($i: IngestBillingRowsInput!) { ingestBillingRows(input: $i) { accepted } }", new { i = new { providerId = "p", rows } });

        // Every row written off through the silos in turn, so row grains are active on each of them.
        var versions = new Dictionary<string, int>();
        for (var i = 0; i < rows.Length; i++)
        {
            var row = await Act(silos[i % 3], $"p/r{i}", "WRITE_OFF");
            versions[$"p/r{i}"] = row!["version"]!.GetValue<int>();
        }
        // Placement decides where the rows live; the silo holding the most of them is the one killed.
        var held = new List<int>();
        foreach (var silo in silos) held.Add(await RowGrainsOn(silo));
        var victim = silos[held.IndexOf(held.Max())];
        var others = silos.Where(s => s != victim).ToList();
        Assert.True(held.Max() > 0 && held.Sum() >= rows.Length, $"row grains per silo: {string.Join(", ", held)}");

        // SIGKILL it: the others declare it dead (no goodbye from it), and its rows answer from them.
        var killedAt = Stopwatch.StartNew();
        victim.Kill();
        await victim.Exited;
        await Until(async () => await StatusAsync(victim) == Dead, TimeSpan.FromSeconds(60), $"{victim.Name} declared dead");
        var declaredDead = killedAt.Elapsed;
        for (var i = 0; i < rows.Length; i++)
        {
            var id = $"p/r{i}";
            var via = others[i % 2];
            // A call caught in flight while the cluster settles is retried; one that was applied after all is read back.
            var row = await Retrying(async () =>
            {
                try { return await Act(via, id, "REOPEN"); }
                catch (InvalidOperationException)
                {
                    var stored = await Read(via, id);
                    if (stored?["status"]?.GetValue<string>() == "UNRECONCILED") return stored;
                    throw;
                }
            }, TimeSpan.FromSeconds(60));
            Assert.Equal(versions[id] + 1, row!["version"]!.GetValue<int>());   // the write-off was there: nothing acknowledged was lost
            Assert.Equal("UNRECONCILED", row["status"]!.GetValue<string>());
        }
        // Read from each silo's /metrics, which lags the catalog a little (and a call that failed while the cluster settled
        // dropped its activation until the next call): polled, not read once.
        await Until(async () => await RowGrainsOn(others[0]) + await RowGrainsOn(others[1]) >= rows.Length, TimeSpan.FromSeconds(15),
            "every row active on the two live silos");
        // A push caught by the kill (the row stored, its period not yet told) is re-sent by crash repair: once the
        // system is quiet, the period adds up to its rows again.
        JsonNode summary = null!;
        await Until(async () =>
        {
            summary = (await Gql(others[1], "query($p: String!) { reconciliation(period: $p) { summary { rowCount writtenOff billed } } }", new { p = period }))!
                ["reconciliation"]!["summary"]!;
            return decimal.Parse(summary["writtenOff"]!.GetValue<string>()) == 0m;
        }, TimeSpan.FromSeconds(90), "the period re-converged on its rows");
        Assert.Equal(30, summary["rowCount"]!.GetValue<int>());
        Assert.Equal(0m, decimal.Parse(summary["writtenOff"]!.GetValue<string>()));
        Assert.Equal(rows.Sum(r => decimal.Parse(r.totalCostUsd)), decimal.Parse(summary["billed"]!.GetValue<string>()));

        // Restarted on the same ports, it rejoins under a new generation.
        await victim.StartAsync(Ready);
        Assert.Equal(Active, await StatusAsync(victim));
        Assert.Equal(3, await _db.ScalarAsync<long>("select count(*) from orleans_membership where status = 3"));

        // SIGTERM another silo under load: its requests either complete or never connect; none fails half-way.
        var leaving = others[0];
        using var ws = new ClientWebSocket();
        ws.Options.AddSubProtocol("graphql-transport-ws");
        await ws.ConnectAsync(new Uri($"ws://{leaving.Url.Authority}/graphql"), CancellationToken.None);
        await Send(ws, JsonSerializer.Serialize(new { type = "connection_init", payload = new { authorization = $"Bearer {_token}" } }));
        Assert.Contains("connection_ack", await Receive(ws));
        var outcomes = new ConcurrentBag<string>();
        using var loadStop = new CancellationTokenSource();
        var load = Enumerable.Range(0, 4).Select(async k =>
        {
            for (var n = 0; !loadStop.IsCancellationRequested; n++)
            {
                var id = $"p/r{(k * 7 + n) % rows.Length}";
                try
                {
                    using var response = await _http.PostAsJsonAsync(new Uri(leaving.Url, "graphql"),
                        new { query = "query($id: ID!) { billingRow(id: $id) { id status } }", variables = new { id } });
                    var body = await response.Content.ReadAsStringAsync();
                    outcomes.Add(response.IsSuccessStatusCode && !body.Contains("\"errors\"") ? "ok" : $"failed: {(int)response.StatusCode} {body}");
                }
                // No response at all (refused, or a kept-alive connection closed before the request went out): not served, not half-served.
                catch (HttpRequestException) { outcomes.Add("refused"); await Task.Delay(20); }
            }
        }).ToList();
        await Until(() => Task.FromResult(outcomes.Count(o => o == "ok") >= 20), TimeSpan.FromSeconds(30), "load on the leaving silo");
        var stopping = Stopwatch.StartNew();
        var exitCode = await leaving.StopAsync(TimeSpan.FromSeconds(60));
        var stopTook = stopping.Elapsed;
        var closed = await Receive(ws);
        await Task.Delay(200);
        loadStop.Cancel();
        await Task.WhenAll(load);

        Assert.Equal(0, exitCode);
        Assert.True(stopTook < TimeSpan.FromSeconds(30), $"stopped in {stopTook.TotalSeconds:0.0} s");
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, ws.CloseStatus);
        Assert.Equal("closed", closed);
        Assert.DoesNotContain(outcomes, o => o.StartsWith("failed"));
        Assert.Equal(Dead, await StatusAsync(leaving));   // it said goodbye: dead at once, no probes needed
        var after = await Retrying(() => Act(others[1], "p/r0", "WRITE_OFF"), TimeSpan.FromSeconds(30));
        Assert.Equal("WRITTEN_OFF", after!["status"]!.GetValue<string>());
        Console.WriteLine($"cluster: {victim.Name} (holding {held.Max()} of {rows.Length} rows) declared dead {declaredDead.TotalSeconds:0.0} s after SIGKILL; " +
                          $"{leaving.Name} left in {stopTook.TotalSeconds:0.0} s after SIGTERM " +
                          $"({outcomes.Count(o => o == "ok")} requests served, {outcomes.Count(o => o == "refused")} refused after it stopped listening)");
    }

    private const int Active = 3, Dead = 6;

    /// <summary>The status in the membership table of the silo's latest generation.</summary>
    private Task<int> StatusAsync(LocalSilo silo) =>
        _db.ScalarAsync<int>("select status from orleans_membership where port = $1 order by generation desc limit 1", silo.SiloPort);

    private async Task<int> RowGrainsOn(LocalSilo silo)
    {
        var text = await _http.GetStringAsync(new Uri(silo.Url, "metrics"));
        // Orleans' own level of activations per grain type on that silo.
        return text.Split('\n').Where(l => l.StartsWith("orleans_catalog_activations{", StringComparison.Ordinal) && l.Contains("grain_type=\"billing-row\""))
            .Sum(l => int.Parse(l[(l.LastIndexOf(' ') + 1)..]));
    }

    private async Task<JsonNode?> Read(LocalSilo silo, string rowId) =>
        (await Gql(silo, "query($id: ID!) { billingRow(id: $id) { id status version } }", new { id = rowId }))!["billingRow"];

    private async Task<JsonNode?> Act(LocalSilo silo, string rowId, string action) =>
        (await Gql(silo, "mutation($i: RowActionInput!) { applyRowAction(input: $i) { row { id status version } } }",
            new { i = new { rowId, action, note = "cluster test" } }))!["applyRowAction"]!["row"];

    private async Task<JsonNode?> Gql(LocalSilo silo, string query, object? variables = null)
    {
        using var response = await _http.PostAsJsonAsync(new Uri(silo.Url, "graphql"), new { query, variables });
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        if (body["errors"] is not null) throw new InvalidOperationException(body["errors"]!.ToJsonString());
        return body["data"];
    }

    /// <summary>Retries a call that fails while the cluster settles (a request in flight to the dead silo), within a bound.</summary>
    private static async Task<T> Retrying<T>(Func<Task<T>> call, TimeSpan bound)
    {
        for (var waited = Stopwatch.StartNew(); ; await Task.Delay(250))
        {
            try { return await call(); }
            catch (Exception) when (waited.Elapsed < bound) { }
        }
    }

    private async Task Until(Func<Task<bool>> condition, TimeSpan bound, string what)
    {
        for (var waited = Stopwatch.StartNew(); !await condition(); await Task.Delay(200))
            if (waited.Elapsed > bound)
                throw new TimeoutException($"{what}: not within {bound.TotalSeconds:0} s. Last silo output:\n{string.Join('\n', _log.TakeLast(40))}");
    }

    private static Task Send(ClientWebSocket ws, string text) =>
        ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>The next text message, or "closed" once the server closes the socket.</summary>
    private static async Task<string> Receive(ClientWebSocket ws)
    {
        var buffer = new byte[16_384];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var result = await ws.ReceiveAsync(buffer, timeout.Token);
        return result.MessageType == WebSocketMessageType.Close ? "closed" : Encoding.UTF8.GetString(buffer, 0, result.Count);
    }
}
