using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Net.WebSockets;
using System.Text;
using Flowstate;
using Flowstate.GraphQL.Subscriptions;
using Flowstate.GraphQL.Transport;
using Flowstate.Reconciliation;
using Flowstate.Silo.Hosting;
using Flowstate.Silo.Options;
using Npgsql;

namespace Flowstate.Bench;

/// <summary>
/// The core benchmark (`./flowstate bench`): session and billing-row ingest over HTTP, row actions with and
/// without 1,000 WebSocket subscribers, subscription delivery, and each figure beside its ceiling (raw grain
/// calls, PostgreSQL inserts and bulk inserts) measured in the same run.
/// </summary>
public static class CoreBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = Arg("--seconds", 15);
        var rowCount = Arg("--rows", 20_000);
        var sessionCount = Arg("--sessions", 100_000);
        var subscriberCount = Arg("--subscribers", 1000);
        var probeRate = Arg("--probe-rate", 10);
        var rounds = Arg("--rounds", 2);
        const int Clients = 16;
        var writtenOff = new System.Collections.Concurrent.ConcurrentDictionary<string, bool>(); // row id → currently WRITTEN_OFF

        var server = Environment.GetEnvironmentVariable("FLOWSTATE_DB") ?? throw new InvalidOperationException("FLOWSTATE_DB is required (./flowstate bench sets it).");
        var db = new NpgsqlConnectionStringBuilder(server) { Database = "flowstate_bench" }.ConnectionString;
        await DropDatabaseAsync(db);
        await SchemaMigrator.EnsureDatabaseAsync(db);
        await SchemaMigrator.ApplyAsync(db);

        var options = new FlowstateOptions { Http = "http://127.0.0.1:5190", Database = db, MaxConnections = 64, Demo = false, SiloPort = 11190, GatewayPort = 30190 };
        var builder = WebApplication.CreateBuilder(Flowstate.Bench.BenchIdentity.Development);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.AddFlowstate(options).Build();
        app.MapFlowstate(options);
        await app.StartAsync();
        var grains = app.Services.GetRequiredService<IGrainFactory>();
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = new Uri(options.Http) };
        var benchToken = await Flowstate.Bench.BenchIdentity.AdminTokenAsync(db, "demo");
        http.DefaultRequestHeaders.Authorization = new("Bearer", benchToken);

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
        var sessionsPerSecond = await Throughput(sessionBatches, 4, b => Gql("mutation($i: IngestSessionsInput!) { ingestSessions(input: $i) { accepted } }", new { i = new { sessions = b, waitFor = "DURABLE" } })) * 1000;

        // 2. Billing-row ingest over HTTP (batches of 500, 4 in flight).
        var rowBatches = Enumerable.Range(0, rowCount).Select(i => new
        {
            externalId = $"r{i}", subject = $"p{i % 500}", usageDate = day0.AddDays(i / 500 % 30).ToString("yyyy-MM-dd"), totalCostUsd = (1 + i % 97).ToString(),
        }).Chunk(500).ToList();
        var rowsPerSecond = await Throughput(rowBatches, 4, b => Gql("mutation($i: IngestBillingRowsInput!) { ingestBillingRows(input: $i) { accepted } }", new { i = new { providerId = "bench", rows = b } })) * 500;

        // 3. applyRowAction over HTTP: each client flips its own rows WRITE_OFF ⇄ REOPEN (all rows are in 2026-10), with no
        //    subscriber (A) and while WebSocket subscribers listen to rowStatusChanged on 2026-11 (B). In B a probe client acts
        //    on 2026-11 rows at a fixed pace and every subscriber receives each probe change; the load's October changes are
        //    logged and published too, and filtered out on the server. A and B alternate in `rounds` rounds, so that a change
        //    in what else runs on the machine weighs on both alike.
        var probeRows = Enumerable.Range(0, 200).Select(i => new { externalId = $"probe{i}", subject = "p0", usageDate = "2026-11-02", totalCostUsd = "5" }).ToArray();
        await Gql("mutation($i: IngestBillingRowsInput!) { ingestBillingRows(input: $i) { accepted } }", new { i = new { providerId = "bench", rows = probeRows } });
        var feeds = app.Services.GetRequiredService<FlowstateMetrics>();
        var hub = app.Services.GetRequiredService<EventHub>();
        var wsUri = new Uri(options.Http.Replace("http", "ws") + "/graphql");
        var probeWrittenOff = new bool[probeRows.Length];
        var probeCount = 0;
        var without = new List<(long Actions, double Seconds, double[] Latencies)>();
        var with = new List<(long Actions, double Seconds, double[] Latencies)>();
        var deliveries = new List<double>();
        long missing = 0, duplicates = 0, probes = 0;
        double connectSeconds = 0;
        int streamSubscriptions = 0, sharedFeeds = 0, feedsAfter = 0, streamsAfter = 0;
        for (var round = 0; round < rounds; round++)
        {
            without.Add(await ActionLoadAsync(seconds / (double)rounds));

            var connectWatch = Stopwatch.StartNew();
            var subscribers = new List<BenchSubscriber>();
            foreach (var chunk in Enumerable.Range(0, subscriberCount).Chunk(50))
                subscribers.AddRange(await Task.WhenAll(chunk.Select(_ => BenchSubscriber.ConnectAsync(wsUri,
                    "subscription { rowStatusChanged(period: \"2026-11\") { cursor version toStatus row { id } } }", benchToken))));
            // Identical live subscriptions share one feed and one execution per event (SharedSubscriptions), so "live" is:
            // every operation registered and the shared feed past its start.
            for (var waited = Stopwatch.StartNew(); feeds.WebSocketOperations < subscriberCount || feeds.LiveRowFeeds < 1; await Task.Delay(50))
                if (waited.Elapsed > TimeSpan.FromSeconds(60) || subscribers.Any(s => s.Error is not null))
                    throw new InvalidOperationException($"{feeds.WebSocketOperations} of {subscriberCount} subscriptions registered; first failure: {subscribers.FirstOrDefault(s => s.Error is not null)?.Error}");
            connectSeconds = Math.Max(connectSeconds, connectWatch.Elapsed.TotalSeconds);
            (streamSubscriptions, sharedFeeds) = (hub.StreamSubscriptions, feeds.Feeds);

            var acks = new System.Collections.Concurrent.ConcurrentDictionary<(string, int), long>();
            using var probeStop = new CancellationTokenSource();
            var probe = Task.Run(async () =>
            {
                while (!probeStop.IsCancellationRequested)
                {
                    var i = probeCount++ % probeRows.Length;
                    var rowId = GrainKeys.RowId("bench", probeRows[i].externalId);
                    var response = await GqlData("mutation($i: RowActionInput!) { applyRowAction(input: $i) { row { id version } } }",
                        new { i = new { rowId, action = probeWrittenOff[i] ? "REOPEN" : "WRITE_OFF", note = "probe" } });
                    acks[(rowId, response["applyRowAction"]!["row"]!["version"]!.GetValue<int>())] = Stopwatch.GetTimestamp();
                    probeWrittenOff[i] = !probeWrittenOff[i];
                    await Task.Delay(1000 / Math.Max(1, probeRate));
                }
            });
            with.Add(await ActionLoadAsync(seconds / (double)rounds));
            probeStop.Cancel();
            await probe;
            await Task.Delay(1000); // let the last probe events arrive
            var arrivals = subscribers.SelectMany(s => s.Arrivals).ToList();
            var matched = arrivals.Where(a => acks.ContainsKey((a.RowId, a.Version)))
                .Select(a => Stopwatch.GetElapsedTime(acks[(a.RowId, a.Version)], a.At).TotalMilliseconds).ToList();
            deliveries.AddRange(matched);
            probes += acks.Count;
            missing += (long)acks.Count * subscriberCount - matched.Count;
            duplicates += subscribers.Sum(s => s.Arrivals.Count - s.Arrivals.Select(a => (a.RowId, a.Version)).Distinct().Count());
            await Task.WhenAll(subscribers.Select(s => s.DisposeAsync().AsTask()));
            var releaseWatch = Stopwatch.StartNew();
            while ((feeds.Feeds > 0 || hub.StreamSubscriptions > 0) && releaseWatch.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(20);
            (feedsAfter, streamsAfter) = (feeds.Feeds, hub.StreamSubscriptions);
        }
        var actions = without.Sum(w => w.Actions);
        var actionsPerSecond = actions / without.Sum(w => w.Seconds);
        var all = without.SelectMany(w => w.Latencies).Order().ToArray();
        var loadedActions = with.Sum(w => w.Actions);
        var loadedPerSecond = loadedActions / with.Sum(w => w.Seconds);
        var loadedLatencies = with.SelectMany(w => w.Latencies).Order().ToArray();
        var deliveryLatencies = deliveries.Order().ToArray();

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
        Console.WriteLine();
        Row($"with {subscriberCount:N0} WebSocket subscribers", "listening", "without subscribers", "ratio", "target");
        Row("applyRowAction over HTTP (actions/s)", $"{loadedPerSecond:N0}", $"{actionsPerSecond:N0}", Ratio(loadedPerSecond, actionsPerSecond), "≥ 80 %");
        Row("  latency p50 / p99 (ms)", $"{Pct(loadedLatencies, 50):0.0} / {Pct(loadedLatencies, 99):0.0}", $"{Pct(all, 50):0.0} / {Pct(all, 99):0.0}", "", "");
        Row("ack → arrival at each subscriber (ms)", $"{Pct(deliveryLatencies, 50):0.0} / {Pct(deliveryLatencies, 99):0.0}", "p50 / p99", "", "p99 ≤ 50");
        Console.WriteLine($"\n{probes:N0} probe actions (≤ {probeRate}/s) × {subscriberCount:N0} subscribers: {deliveryLatencies.Length:N0} events delivered, " +
                          $"{missing:N0} missing, {duplicates:N0} duplicated; max {deliveryLatencies.LastOrDefault():0.0} ms.");
        Console.WriteLine($"{subscriberCount:N0} subscribers connected and live in {connectSeconds:0.0}s over {streamSubscriptions} Orleans stream subscription(s) and {sharedFeeds} shared feed(s); " +
                          $"after they left: {feedsAfter} feeds, {streamsAfter} stream subscriptions.");
        Console.WriteLine($"\n{actions:N0} + {loadedActions:N0} actions in 2 × {seconds}s ({rounds} rounds of each); {rowCount:N0} rows; {sessionCount:N0} sessions.");
        return 0;

        async Task Gql(string query, object? variables = null) => await GqlData(query, variables);

        async Task<JsonObject> GqlData(string query, object? variables = null)
        {
            using var response = await http.PostAsJsonAsync("/graphql", new { query, variables });
            var body = await response.Content.ReadFromJsonAsync<JsonObject>();
            if (!response.IsSuccessStatusCode || body?["errors"] is not null) throw new InvalidOperationException($"GraphQL failed: {body}");
            return body!["data"]!.AsObject();
        }

        /// <summary>16 clients, each flipping its own October rows WRITE_OFF ⇄ REOPEN for <paramref name="forSeconds"/>.</summary>
        async Task<(long Actions, double Seconds, double[] Latencies)> ActionLoadAsync(double forSeconds)
        {
            var latencies = new List<double>[Clients];
            var count = 0L;
            var watch = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, Clients).Select(async c =>
            {
                latencies[c] = [];
                var rows = Enumerable.Range(0, rowCount / Clients).Select(i => GrainKeys.RowId("bench", $"r{c + i * Clients}")).ToArray();
                for (var n = 0; watch.Elapsed.TotalSeconds < forSeconds; n++)
                {
                    var i = n % rows.Length;
                    var t = Stopwatch.GetTimestamp();
                    // Each row's current status decides the action, so a second run continues where the first left off.
                    var action = writtenOff.GetValueOrDefault(rows[i]) ? "REOPEN" : "WRITE_OFF";
                    await Gql("mutation($i: RowActionInput!) { applyRowAction(input: $i) { row { status } summary { residual } } }",
                        new { i = new { rowId = rows[i], action, note = "bench" } });
                    latencies[c].Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                    writtenOff[rows[i]] = action == "WRITE_OFF";
                    Interlocked.Increment(ref count);
                }
            }));
            return (count, watch.Elapsed.TotalSeconds, latencies.SelectMany(l => l).ToArray());
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
    }
}

/// <summary>
/// A minimal graphql-transport-ws client (ClientWebSocket): init, one subscription, pong on ping; records when
/// each rowStatusChanged event arrives, keyed by row id and version.
/// </summary>
sealed class BenchSubscriber : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly CancellationTokenSource _stop = new();
    private Task _receive = Task.CompletedTask;
    public List<(string RowId, int Version, long At)> Arrivals { get; } = [];
    public string? Error { get; private set; }

    public static async Task<BenchSubscriber> ConnectAsync(Uri uri, string query, string token)
    {
        var s = new BenchSubscriber();
        s._socket.Options.AddSubProtocol("graphql-transport-ws");
        s._socket.Options.KeepAliveInterval = TimeSpan.Zero;
        await s._socket.ConnectAsync(uri, CancellationToken.None);
        await s.SendAsync(new { type = "connection_init", payload = new { authorization = $"Bearer {token}" } });
        var ack = await s.ReceiveAsync();
        if (ack?["type"]?.GetValue<string>() != "connection_ack") throw new InvalidOperationException($"expected connection_ack, got {ack}");
        await s.SendAsync(new { id = "1", type = "subscribe", payload = new { query } });
        s._receive = s.ReceiveLoopAsync();
        return s;
    }

    private Task SendAsync(object message) =>
        _socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(message), WebSocketMessageType.Text, true, _stop.Token);

    private readonly byte[] _buffer = new byte[16 * 1024];

    private async Task<JsonObject?> ReceiveAsync() => await ReceiveRawAsync() is { } raw ? JsonNode.Parse(raw.Span)?.AsObject() : null;

    /// <summary>One whole message, or null on close.</summary>
    private async Task<ReadOnlyMemory<byte>?> ReceiveRawAsync()
    {
        var r = await _socket.ReceiveAsync(_buffer.AsMemory(), _stop.Token);
        if (r.MessageType == WebSocketMessageType.Close) return null;
        if (r.EndOfMessage) return _buffer.AsMemory(0, r.Count);
        using var message = new MemoryStream();
        message.Write(_buffer, 0, r.Count);
        do
        {
            r = await _socket.ReceiveAsync(_buffer.AsMemory(), _stop.Token);
            if (r.MessageType == WebSocketMessageType.Close) return null;
            message.Write(_buffer, 0, r.Count);
        } while (!r.EndOfMessage);
        return message.ToArray();
    }

    private async Task ReceiveLoopAsync()
    {
        try
        {
            while (await ReceiveRawAsync() is { } raw)
            {
                var at = Stopwatch.GetTimestamp();
                // A forward-only scan (no document): the client's own cost shares the 2 cores with the server.
                var (type, rowId, version) = Scan(raw.Span);
                switch (type)
                {
                    case "next" when rowId is not null:
                        Arrivals.Add((rowId, version, at));
                        break;
                    case "next" or "error" or "complete":
                        Error = Encoding.UTF8.GetString(raw.Span);
                        return;
                    case "ping":
                        await SendAsync(new { type = "pong" });
                        break;
                }
            }
        }
        catch (OperationCanceledException) { }
        catch (WebSocketException) { }
    }

    /// <summary>The message type, and for an event its row id and version (the only "id" after "row" and the only "version").</summary>
    private static (string? Type, string? RowId, int Version) Scan(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        string? type = null, rowId = null, last = null;
        int version = 0, depth = 0;
        var inRow = false;
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    last = reader.GetString();
                    if (last == "row") inRow = true;
                    break;
                case JsonTokenType.StartObject: depth++; break;
                case JsonTokenType.EndObject: depth--; break;
                case JsonTokenType.String when depth == 1 && last == "type": type = reader.GetString(); break;
                case JsonTokenType.String when inRow && last == "id": rowId = reader.GetString(); inRow = false; break;
                case JsonTokenType.Number when last == "version": version = reader.GetInt32(); break;
            }
        }
        return (type, rowId, version);
    }

    public async ValueTask DisposeAsync()
    {
        try { await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5)); }
        catch (Exception e) when (e is WebSocketException or TimeoutException) { }
        _stop.Cancel();
        await _receive;
        _socket.Dispose();
    }
}
