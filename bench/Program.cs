using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Flowstate;
using Flowstate.Reconciliation;
using Flowstate.Silo.Hosting;
using Flowstate.Silo.Options;
using Npgsql;

// Flowstate benchmark: each figure next to its ceiling, measured in one run on this machine.
// Usage: ./flowstate bench [--seconds 15] [--rows 20000] [--sessions 100000]
//        ./flowstate bench attribution [--people 5000] [--teams 300] [--sessions 1000000]   (see AttributionBench)
if (args.FirstOrDefault() == "attribution") return await Flowstate.Bench.AttributionBench.RunAsync(args);
var seconds = Arg("--seconds", 15);
var rowCount = Arg("--rows", 20_000);
var sessionCount = Arg("--sessions", 100_000);
const int Clients = 16;

var server = Environment.GetEnvironmentVariable("FLOWSTATE_DB") ?? throw new InvalidOperationException("FLOWSTATE_DB is required (./flowstate bench sets it).");
var db = new NpgsqlConnectionStringBuilder(server) { Database = "flowstate_bench" }.ConnectionString;
await DropDatabaseAsync(db);
await SchemaMigrator.EnsureDatabaseAsync(db);
await SchemaMigrator.ApplyAsync(db);

var options = new FlowstateOptions { Http = "http://127.0.0.1:5190", Database = FlowstateOptions.WithPoolLimit(db, 64), Demo = false, SiloPort = 11190, GatewayPort = 30190 };
var builder = WebApplication.CreateBuilder();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
var app = builder.AddFlowstate(options).Build();
app.MapFlowstate(options);
await app.StartAsync();
var grains = app.Services.GetRequiredService<IGrainFactory>();
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = new Uri(options.Http) };

Console.WriteLine($"Flowstate benchmark — {Environment.ProcessorCount} cores, PostgreSQL local, {Clients} concurrent clients, in-process silo");
await Gql("""mutation { configureProvider(input: { id: "bench", name: "Bench API", prices: [{ model: "m", inputPerMTokUsd: "3", outputPerMTokUsd: "15", effectiveFrom: "2020-01-01" }] }) { id } }""");
await Gql("mutation($i: WorkforceInput!) { upsertWorkforce(input: $i) { people } }",
    new { i = new { people = Enumerable.Range(0, 500).Select(i => new { id = $"p{i}", email = $"p{i}@bench.example", name = $"Person {i}" }) } });

// 1. Session ingest over HTTP (batches of 1,000, 4 in flight), durable when acknowledged.
var day0 = new DateTimeOffset(2026, 10, 1, 0, 0, 0, TimeSpan.Zero);
var sessionBatches = Enumerable.Range(0, sessionCount).Select(i => new
{
    id = $"s{i}", subject = $"p{i % 500}", providerId = "bench", model = "m",
    startedAt = day0.AddMinutes(i % (30 * 24 * 60)).ToString("O"), inputTokens = 1000 + i % 500, outputTokens = 200,
}).Chunk(1000).ToList();
var sessionsPerSecond = await Throughput(sessionBatches, 4, b => Gql("mutation($i: IngestSessionsInput!) { ingestSessions(input: $i) { accepted } }", new { i = new { sessions = b } })) * 1000;

// 2. Billing-row ingest over HTTP (batches of 500, 4 in flight).
var rowBatches = Enumerable.Range(0, rowCount).Select(i => new
{
    externalId = $"r{i}", subject = $"p{i % 500}", usageDate = day0.AddDays(i / 500 % 30).ToString("yyyy-MM-dd"), totalCostUsd = (1 + i % 97).ToString(),
}).Chunk(500).ToList();
var rowsPerSecond = await Throughput(rowBatches, 4, b => Gql("mutation($i: IngestBillingRowsInput!) { ingestBillingRows(input: $i) { accepted } }", new { i = new { providerId = "bench", rows = b } })) * 500;

// 3. applyRowAction over HTTP: each client flips its own rows WRITE_OFF ⇄ REOPEN.
var latencies = new List<double>[Clients];
var actions = 0L;
var stop = Stopwatch.StartNew();
await Task.WhenAll(Enumerable.Range(0, Clients).Select(async c =>
{
    latencies[c] = [];
    var rows = Enumerable.Range(0, rowCount / Clients).Select(i => GrainKeys.RowId("bench", $"r{c + i * Clients}")).ToArray();
    var writtenOff = new bool[rows.Length];
    for (var n = 0; stop.Elapsed.TotalSeconds < seconds; n++)
    {
        var i = n % rows.Length;
        var t = Stopwatch.GetTimestamp();
        await Gql("mutation($i: RowActionInput!) { applyRowAction(input: $i) { row { status } summary { residual } } }",
            new { i = new { rowId = rows[i], action = writtenOff[i] ? "REOPEN" : "WRITE_OFF", note = "bench" } });
        latencies[c].Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        writtenOff[i] = !writtenOff[i];
        Interlocked.Increment(ref actions);
    }
}));
var actionsPerSecond = actions / stop.Elapsed.TotalSeconds;
var all = latencies.SelectMany(l => l).Order().ToArray();

// Ceilings: the same number of raw grain calls, and of PostgreSQL inserts, at the same concurrency.
var rawCalls = (int)actions;
var rowGrains = Enumerable.Range(0, rowCount).Select(i => grains.GetGrain<IBillingRowGrain>(GrainKeys.Row("demo", GrainKeys.RowId("bench", $"r{i}")))).ToArray();
var grainCallsPerSecond = await Throughput(Enumerable.Range(0, rawCalls).ToList(), Clients, i => rowGrains[i % rowGrains.Length].GetAsync());
var pgInsertsPerSecond = await PgInsertsAsync(db, rawCalls);
var pgBulkRowsPerSecond = await PgBulkAsync(db, sessionCount);

await app.StopAsync();
Console.WriteLine();
Row("", "measured", "ceiling (same work)", "ratio", "target");
Row("applyRowAction over HTTP (actions/s)", $"{actionsPerSecond:N0}", $"{grainCallsPerSecond:N0} raw grain calls/s", Ratio(actionsPerSecond, grainCallsPerSecond), "≥ 1,500");
Row("  latency p50 / p99 (ms)", $"{Pct(all, 50):0.0} / {Pct(all, 99):0.0}", "", "", "p99 ≤ 20");
Row("  vs PostgreSQL single-row inserts", "", $"{pgInsertsPerSecond:N0} inserts/s", Ratio(actionsPerSecond, pgInsertsPerSecond), "");
Row("billing-row ingest (rows/s)", $"{rowsPerSecond:N0}", $"{pgInsertsPerSecond:N0} inserts/s", Ratio(rowsPerSecond, pgInsertsPerSecond), "");
Row("session ingest, durable (sessions/s)", $"{sessionsPerSecond:N0}", $"{pgBulkRowsPerSecond:N0} bulk-inserted rows/s", Ratio(sessionsPerSecond, pgBulkRowsPerSecond), "≥ 20,000");
Console.WriteLine($"\n{actions:N0} actions in {stop.Elapsed.TotalSeconds:0.0}s; {rowCount:N0} rows; {sessionCount:N0} sessions.");
return 0;

async Task Gql(string query, object? variables = null)
{
    using var response = await http.PostAsJsonAsync("/graphql", new { query, variables });
    var body = await response.Content.ReadFromJsonAsync<JsonObject>();
    if (!response.IsSuccessStatusCode || body?["errors"] is not null) throw new InvalidOperationException($"GraphQL failed: {body}");
}

static async Task<double> Throughput<T>(IReadOnlyList<T> items, int parallel, Func<T, Task> work)
{
    var next = -1;
    var sw = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, parallel).Select(async _ =>
    {
        for (int i; (i = Interlocked.Increment(ref next)) < items.Count;) await work(items[i]);
    }));
    return items.Count / sw.Elapsed.TotalSeconds;
}

static async Task<double> PgInsertsAsync(string cs, int count)
{
    await using var source = NpgsqlDataSource.Create(cs);
    await using (var c = source.CreateCommand("drop table if exists bench_ceiling; create table bench_ceiling (id bigint primary key, note text)")) await c.ExecuteNonQueryAsync();
    return await Throughput(Enumerable.Range(0, count).ToList(), Clients, async i =>
    {
        await using var cmd = source.CreateCommand("insert into bench_ceiling values ($1, 'x')");
        cmd.Parameters.AddWithValue((long)i);
        await cmd.ExecuteNonQueryAsync();
    });
}

static async Task<double> PgBulkAsync(string cs, int count)
{
    await using var source = NpgsqlDataSource.Create(cs);
    await using (var c = source.CreateCommand("create table if not exists bench_bulk (id text primary key, cost numeric)")) await c.ExecuteNonQueryAsync();
    return await Throughput(Enumerable.Range(0, count).Chunk(1000).ToList(), 4, async chunk =>
    {
        await using var cmd = source.CreateCommand("insert into bench_bulk select * from unnest($1::text[], $2::numeric[])");
        cmd.Parameters.AddWithValue(chunk.Select(i => $"s{i}").ToArray());
        cmd.Parameters.AddWithValue(chunk.Select(i => (decimal)i / 100).ToArray());
        await cmd.ExecuteNonQueryAsync();
    }) * 1000;
}

static async Task DropDatabaseAsync(string cs)
{
    var admin = new NpgsqlConnectionStringBuilder(cs) { Database = "postgres", Pooling = false };
    await using var conn = new NpgsqlConnection(admin.ConnectionString);
    await conn.OpenAsync();
    await using var cmd = new NpgsqlCommand($"drop database if exists \"{new NpgsqlConnectionStringBuilder(cs).Database}\" with (force)", conn);
    await cmd.ExecuteNonQueryAsync();
}

static double Pct(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p / 100 * sorted.Length) - 1)];
static string Ratio(double a, double b) => b == 0 ? "" : $"{a / b:P0}";
static void Row(string a, string b, string c, string d, string e) => Console.WriteLine($"{a,-38} {b,14}   {c,-32} {d,6}   {e}");
int Arg(string name, int fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() is { } v ? int.Parse(v) : fallback;
