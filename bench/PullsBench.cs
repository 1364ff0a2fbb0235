using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Flowstate.Connectors;
using Flowstate.Connectors.Http;
using Flowstate.Demo.Sandbox;
using Flowstate.Silo.Hosting;
using Flowstate.Silo.Options;
using Npgsql;

namespace Flowstate.Bench;

/// <summary>
/// <c>./flowstate bench pulls [--people 5000] [--days 90] [--keys 300] [--ingest 10000]</c>: a 90-day Cursor backfill of a
/// 5,000-person org (about one usage event per person-day, ~450,000 events over pages of 1,000 from the provider
/// sandbox on loopback) and a 90-day OpenAI costs backfill, through the real connectors and HTTP stack (no client
/// rate limit: the sandbox is local); then the resulting billing rows through the ingestBillingRows mutation of an
/// in-process silo, for the rate beside them. Target: the Cursor backfill in ≤ 60 s.
/// </summary>
public static class PullsBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        int Arg(string name, int fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
        var (people, days, keys, ingest) = (Arg("--people", 5000), Arg("--days", 90), Arg("--keys", 300), Arg("--ingest", 10_000));
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var from = today.AddDays(-(days - 1));
        var rng = new Random(12);

        var data = new SandboxData();
        for (var d = from; d <= today; d = d.AddDays(1))
        {
            var midnight = new DateTimeOffset(d.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).ToUnixTimeMilliseconds();
            for (var p = 0; p < people; p++)
            {
                // 0 to 3 events a person-day, about one on average.
                var n = rng.NextDouble() switch { < 0.37 => 0, < 0.72 => 1, < 0.92 => 2, _ => 3 };
                for (var e = 0; e < n; e++)
                    data.CursorEvents.Add(new CursorEvent(midnight + rng.Next(86_400_000), $"dev{p}@bench.example", "claude-4.5-sonnet",
                        Math.Round((decimal)rng.NextDouble() * 60m, 5).ToString(CultureInfo.InvariantCulture)));
            }
            for (var k = 0; k < keys; k++)
                foreach (var item in new[] { "gpt-5, input", "gpt-5, output", "gpt-5-mini, input" })
                    data.OpenAiCosts.Add(new OpenAiCost(d, $"proj_{k % 20}", $"key_{k}", item, Math.Round((decimal)rng.NextDouble() * 4m, 10).ToString(CultureInfo.InvariantCulture)));
        }
        data.OpenAiKeys = Enumerable.Range(0, keys).Select(k => new OpenAiKey($"proj_{k % 20}", $"key_{k}", $"dev{k}@bench.example")).ToList();
        Console.WriteLine($"Provider pulls — {Environment.ProcessorCount} cores; sandbox on loopback; {data.CursorEvents.Count:N0} Cursor events of {people:N0} people over {days} days; {data.OpenAiCosts.Count:N0} OpenAI cost results of {keys} keys");

        await using var sandbox = await ProviderSandbox.StartAsync(data);
        await using var services = new ServiceCollection().AddLogging().AddConnectors(o => o.RequestsPerMinute.Clear()).BuildServiceProvider();
        var connectors = services.GetRequiredService<ConnectorCatalog>();

        var (cursor, cursorSeconds) = await TimeAsync(() => connectors[ConnectorKind.Cursor].PullAsync(new PullRequest(sandbox.BaseUrl, data.CursorKey, from, today)));
        var (openai, openaiSeconds) = await TimeAsync(() => connectors[ConnectorKind.OpenAi].PullAsync(new PullRequest(sandbox.BaseUrl, data.OpenAiKey, from, today)));
        var cursorTotal = cursor.Rows.Sum(r => r.AmountUsd);
        var expected = data.CursorEvents.Sum(e => decimal.Parse(e.ChargedCentsJson, CultureInfo.InvariantCulture)) / 100m;
        if (cursorTotal != expected) throw new InvalidOperationException($"Cursor rows add up to {cursorTotal}, the events to {expected}.");

        // Billing-row ingest through the mutation, on an in-process silo, with a sample of the Cursor rows.
        var server = Environment.GetEnvironmentVariable("FLOWSTATE_DB") ?? throw new InvalidOperationException("FLOWSTATE_DB is required (./flowstate bench sets it).");
        var db = new NpgsqlConnectionStringBuilder(server) { Database = "flowstate_bench_pulls" }.ConnectionString;
        await using (var admin = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(server) { Database = "postgres" }.ConnectionString))
        await using (var drop = admin.CreateCommand("drop database if exists flowstate_bench_pulls with (force)")) await drop.ExecuteNonQueryAsync();
        await SchemaMigrator.EnsureDatabaseAsync(db);
        await SchemaMigrator.ApplyAsync(db);
        var options = new FlowstateOptions { Http = "http://127.0.0.1:5193", Database = db, MaxConnections = 64, Demo = false, SiloPort = 11193, GatewayPort = 30193 };
        var builder = WebApplication.CreateBuilder(BenchIdentity.Development);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.AddFlowstate(options).Build();
        app.MapFlowstate(options);
        await app.StartAsync();
        using var http = await new HttpClient { BaseAddress = new Uri(options.Http) }.SignInAsync(db, "bench");
        await GqlAsync(http, """mutation { configureProvider(input: { id: "cursor", name: "Cursor" }) { id } }""", new { });
        var sample = cursor.Rows.Take(ingest).Select(r => new { externalId = r.ExternalId, subject = r.Subject, usageDate = r.UsageDate.ToString("yyyy-MM-dd"), totalCostUsd = r.AmountUsd.ToString(CultureInfo.InvariantCulture) })
            .Chunk(500).ToList();
        var started = Stopwatch.GetTimestamp();
        await Parallel.ForEachAsync(sample, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (batch, _) =>
            await GqlAsync(http, "mutation($i: IngestBillingRowsInput!) { ingestBillingRows(input: $i) { accepted } }", new { i = new { providerId = "cursor", rows = batch } }));
        var ingestSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var ingested = sample.Sum(b => b.Length);
        await app.StopAsync();

        Console.WriteLine();
        Console.WriteLine($"{"",-44} {"requests",9} {"items",10} {"rows",9} {"wall s",8} {"rows/s",9} {"items/s",9}");
        Console.WriteLine($"{"Cursor 90-day backfill (connector)",-44} {cursor.Requests,9:N0} {data.CursorEvents.Count,10:N0} {cursor.Rows.Count,9:N0} {cursorSeconds,8:0.0} {cursor.Rows.Count / cursorSeconds,9:N0} {data.CursorEvents.Count / cursorSeconds,9:N0}   target ≤ 60 s: {(cursorSeconds <= 60 ? "met" : "MISSED")}");
        Console.WriteLine($"{"OpenAI 90-day costs backfill (connector)",-44} {openai.Requests,9:N0} {data.OpenAiCosts.Count,10:N0} {openai.Rows.Count,9:N0} {openaiSeconds,8:0.0} {openai.Rows.Count / openaiSeconds,9:N0} {data.OpenAiCosts.Count / openaiSeconds,9:N0}");
        Console.WriteLine($"{"ingestBillingRows mutation (500/batch, 4 in flight)",-44} {sample.Count,9:N0} {ingested,10:N0} {ingested,9:N0} {ingestSeconds,8:0.0} {ingested / ingestSeconds,9:N0} {"",9}");
        Console.WriteLine($"Cursor rows add up to the events exactly: ${cursorTotal}. At the mutation's rate the whole Cursor backfill ({cursor.Rows.Count:N0} rows) would take {cursor.Rows.Count / (ingested / ingestSeconds):0} s to store.");
        return 0;
    }

    private static async Task<(T Result, double Seconds)> TimeAsync<T>(Func<Task<T>> run)
    {
        var started = Stopwatch.GetTimestamp();
        var result = await run();
        return (result, Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    private static async Task<System.Text.Json.Nodes.JsonNode> GqlAsync(HttpClient http, string query, object variables)
    {
        using var response = await http.PostAsJsonAsync("/graphql", new { query, variables });
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        if (!response.IsSuccessStatusCode || body?["errors"] is not null || body?["data"] is null) throw new InvalidOperationException($"GraphQL failed: {body}");
        return body["data"]!;
    }
}
