using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Flowstate.Silo.Hosting;
using Npgsql;

namespace Flowstate.Bench;

/// <summary>
/// <c>./flowstate bench cluster [--seconds 15] [--rows 4000] [--clients 16]</c>: the action and
/// ingest load over HTTP on one silo and on three (<see cref="LocalCluster"/>: real processes, one
/// database, ADO.NET membership), side by side, each with throughput and p99; then the action load
/// again while one silo is killed with SIGKILL: the time from the kill until the p99 of a one-second
/// window is back under twice its value before, and how many acknowledged actions were lost (each
/// action carries the version its client last saw acknowledged; afterwards every row must be at
/// least there). Printed beside PostgreSQL's single-row insert ceiling measured in the same run.
/// </summary>
public static class ClusterBench
{
    private const int Port = 5291, SiloPort = 11291, GatewayPort = 30291;

    private sealed record Load(double PerSecond, double P99);
    private sealed record Kill(double RecoverySeconds, int Acknowledged, int Lost, double BaselineP99);
    private sealed record Result(int Silos, Load Actions, Load Ingest, Kill Kill);

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = Arg(args, "--seconds", 15);
        var rows = Arg(args, "--rows", 4000);
        var clients = Arg(args, "--clients", 16);
        var server = Environment.GetEnvironmentVariable("FLOWSTATE_DB") ?? throw new InvalidOperationException("FLOWSTATE_DB is required (./flowstate bench sets it).");
        Console.WriteLine($"Flowstate cluster benchmark — {Environment.ProcessorCount} cores, PostgreSQL local, {clients} clients over HTTP, silos as processes");
        var results = new List<Result>();
        foreach (var silos in new[] { 1, 3 })
            results.Add(await RunClusterAsync(server, silos, seconds, rows, clients));
        var ceiling = await PostgresInsertsAsync(new NpgsqlConnectionStringBuilder(server) { Database = "flowstate_bench_cluster1" }.ConnectionString, clients);

        string Cell(Load l, string unit) => $"{l.PerSecond:N0} {unit}/s, p99 {l.P99:N1} ms";
        Console.WriteLine();
        Console.WriteLine($"| | {string.Join(" | ", results.Select(r => r.Silos == 1 ? "1 silo" : $"{r.Silos} silos"))} |");
        Console.WriteLine($"|---|{string.Concat(results.Select(_ => "---|"))}");
        Console.WriteLine($"| applyRowAction, {clients} clients | {string.Join(" | ", results.Select(r => Cell(r.Actions, "actions")))} |");
        Console.WriteLine($"| session ingest, batches of 200, 4 in flight (p99 of a batch) | {string.Join(" | ", results.Select(r => Cell(r.Ingest, "sessions")))} |");
        Console.WriteLine($"| recovery after SIGKILL of one silo (p99 back under 2× {string.Join(" / ", results.Select(r => $"{r.Kill.BaselineP99:N1}"))} ms) | {string.Join(" | ", results.Select(r => $"{r.Kill.RecoverySeconds:N1} s"))} |");
        Console.WriteLine($"| acknowledged actions lost | {string.Join(" | ", results.Select(r => $"{r.Kill.Lost} of {r.Kill.Acknowledged:N0}"))} |");
        Console.WriteLine($"PostgreSQL ceiling in the same run: {ceiling:N0} single-row inserts/s ({clients} clients)");
        return results.All(r => r.Kill.Lost == 0) ? 0 : 1;
    }

    private static async Task<Result> RunClusterAsync(string server, int count, int seconds, int rowCount, int clients)
    {
        var db = new NpgsqlConnectionStringBuilder(server) { Database = $"flowstate_bench_cluster{count}" }.ConnectionString;
        await RecreateAsync(db);
        var log = new ConcurrentQueue<string>();
        await using var cluster = new LocalCluster(new LocalClusterOptions
        {
            Database = db, Http = new Uri($"http://127.0.0.1:{Port}"), SiloPort = SiloPort, GatewayPort = GatewayPort, ClusterId = $"bench-{count}",
            Output = (i, line) => { log.Enqueue($"[silo {i}] {line}"); while (log.Count > 200) log.TryDequeue(out _); },
            Environment = BenchIdentity.SiloEnvironment,
        }, count);
        Console.WriteLine($"{count} silo(s): starting");
        await cluster.StartAsync(TimeSpan.FromSeconds(180));
        using var http = await new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { Timeout = TimeSpan.FromSeconds(30) }.SignInAsync(db, "demo");
        var silos = cluster.Silos;

        await Gql(http, silos[0].Url, """mutation { configureProvider(input: { id: "bench", name: "Bench API", prices: [{ model: "m", inputPerMTokUsd: "3", outputPerMTokUsd: "15", effectiveFrom: "2020-01-01" }] }) { id } }""");
        await Gql(http, silos[0].Url, "mutation($i: WorkforceInput!) { upsertWorkforce(input: $i) { people } }",
            new { i = new { people = Enumerable.Range(0, 500).Select(i => new { id = $"p{i}", email = $"p{i}@bench.example", name = $"Person {i}" }) } });
        foreach (var chunk in Enumerable.Range(0, rowCount).Chunk(500))
            await Gql(http, silos[0].Url, "mutation($i: IngestBillingRowsInput!) { ingestBillingRows(input: $i) { accepted } }", new
            {
                i = new { providerId = "bench", rows = chunk.Select(i => new { externalId = $"r{i}", subject = $"p{i % 500}", usageDate = $"2026-10-{1 + i % 28:00}", totalCostUsd = $"{1 + i % 97}" }) },
            });

        var state = new RowState(rowCount, clients);
        var actions = await ActionsAsync(http, silos, state, clients, TimeSpan.FromSeconds(seconds), kill: null);
        var ingest = await IngestAsync(http, silos, TimeSpan.FromSeconds(seconds));
        var kill = await ActionsAsync(http, silos, state, clients, TimeSpan.FromSeconds(Math.Max(30, seconds * 2)), kill: silos[count == 1 ? 0 : 1]);
        var lost = await LostAsync(http, silos[0].Url, state);
        var result = new Result(count, actions.Load, ingest, kill.Kill! with { Lost = lost });
        Console.WriteLine($"{count} silo(s): actions {result.Actions.PerSecond:N0}/s p99 {result.Actions.P99:N1} ms; ingest {result.Ingest.PerSecond:N0} sessions/s; " +
                          $"recovery {result.Kill.RecoverySeconds:N1} s; lost {lost} of {result.Kill.Acknowledged}");
        return result;
    }

    /// <summary>Each row's last acknowledged version; client c owns rows c, c + clients, …</summary>
    private sealed class RowState(int rows, int clients)
    {
        public readonly int[] Version = Enumerable.Repeat(1, rows).ToArray();
        public readonly bool[] WrittenOff = new bool[rows];
        public int Rows => rows;
        public int Clients => clients;
        public int Acknowledged;
    }

    /// <summary>
    /// Every client flips its own rows WRITE_OFF ⇄ REOPEN through silo (c mod N), moving to the next
    /// silo when one refuses the connection. With <paramref name="kill"/>, that silo is SIGKILLed a
    /// third of the way in (a lone silo is started again at once, as a supervisor would).
    /// </summary>
    private static async Task<(Load Load, Kill? Kill)> ActionsAsync(HttpClient http, IReadOnlyList<LocalSilo> silos, RowState state, int clients,
        TimeSpan duration, LocalSilo? kill)
    {
        var samples = new ConcurrentBag<(double At, double Ms)>();
        var watch = Stopwatch.StartNew();
        var ackedBefore = state.Acknowledged;
        double? killedAt = null;
        var killer = kill is null ? Task.CompletedTask : Task.Run(async () =>
        {
            await Task.Delay(duration / 3);
            killedAt = watch.Elapsed.TotalSeconds;
            kill.Kill();
            await kill.Exited;
            if (silos.Count == 1) await kill.StartAsync(TimeSpan.FromSeconds(180));
        });
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async c =>
        {
            var target = c % silos.Count;
            var mine = Enumerable.Range(0, state.Rows / clients).Select(i => c + i * clients).ToArray();
            for (var n = 0; watch.Elapsed < duration; n++)
            {
                var row = mine[n % mine.Length];
                var action = state.WrittenOff[row] ? "REOPEN" : "WRITE_OFF";
                var started = Stopwatch.GetTimestamp();
                try
                {
                    var data = await Gql(http, silos[target].Url, "mutation($i: RowActionInput!) { applyRowAction(input: $i) { row { version } } }",
                        new { i = new { rowId = $"bench/r{row}", action, note = "bench", expectedVersion = state.Version[row] } });
                    state.Version[row] = data!["applyRowAction"]!["row"]!["version"]!.GetValue<int>();
                    state.WrittenOff[row] = action == "WRITE_OFF";
                    Interlocked.Increment(ref state.Acknowledged);
                    samples.Add((watch.Elapsed.TotalSeconds, Stopwatch.GetElapsedTime(started).TotalMilliseconds));
                }
                catch (HttpRequestException)
                {
                    target = (target + 1) % silos.Count;   // refused: that silo is gone, use another
                    await Task.Delay(50);
                }
                catch (Exception e) when (e is InvalidOperationException or TaskCanceledException)
                {
                    // Not acknowledged (a call in flight to the dead silo, or a version the client did not see
                    // acknowledged): re-read the row so the next action starts from what is stored.
                    await Task.Delay(50);
                    if (await TryReadAsync(http, silos[target].Url, row) is { } stored) { state.Version[row] = stored.Version; state.WrittenOff[row] = stored.WrittenOff; }
                }
            }
        }));
        await killer;
        var all = samples.ToArray();
        var count = state.Acknowledged - ackedBefore;
        if (kill is null) return (new Load(count / watch.Elapsed.TotalSeconds, P99(all.Select(s => s.Ms))), null);

        var baseline = P99(all.Where(s => s.At < killedAt!.Value).Select(s => s.Ms));
        // Recovered at the start of the first one-second window after the kill whose p99 is under 2× the baseline
        // and after which every window stays so.
        var windows = all.Where(s => s.At >= killedAt).GroupBy(s => (int)Math.Floor(s.At - killedAt!.Value))
            .ToDictionary(g => g.Key, g => P99(g.Select(s => s.Ms)));
        var last = (int)Math.Floor(watch.Elapsed.TotalSeconds - killedAt!.Value) - 1;
        var recovered = last + 1;
        for (var w = last; w >= 0 && windows.TryGetValue(w, out var p99) && p99 < 2 * baseline; w--) recovered = w;
        return (new Load(count / watch.Elapsed.TotalSeconds, P99(all.Select(s => s.Ms))), new Kill(recovered, state.Acknowledged, 0, baseline));
    }

    /// <summary>Session ingest: batches of 200 sessions spread over the silos, 4 in flight, for <paramref name="duration"/>.</summary>
    private static async Task<Load> IngestAsync(HttpClient http, IReadOnlyList<LocalSilo> silos, TimeSpan duration)
    {
        var latencies = new ConcurrentBag<double>();
        var accepted = 0;
        var next = -1;
        var day0 = new DateTimeOffset(2026, 10, 1, 0, 0, 0, TimeSpan.Zero);
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(async k =>
        {
            while (watch.Elapsed < duration)
            {
                var b = Interlocked.Increment(ref next);
                var sessions = Enumerable.Range(b * 200, 200).Select(i => new
                {
                    id = $"s{i}", subject = $"p{i % 500}", providerId = "bench", model = "m",
                    startedAt = day0.AddMinutes(i % (28 * 24 * 60)).ToString("O"), inputTokens = 1000 + i % 500, outputTokens = 200,
                });
                var started = Stopwatch.GetTimestamp();
                var data = await Gql(http, silos[b % silos.Count].Url, "mutation($i: IngestSessionsInput!) { ingestSessions(input: $i) { accepted } }", new { i = new { sessions } });
                latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                Interlocked.Add(ref accepted, data!["ingestSessions"]!["accepted"]!.GetValue<int>());
            }
        }));
        return new Load(accepted / watch.Elapsed.TotalSeconds, P99(latencies));
    }

    /// <summary>Rows whose stored version is behind the version their client saw acknowledged.</summary>
    private static async Task<int> LostAsync(HttpClient http, Uri silo, RowState state)
    {
        var lost = 0;
        foreach (var chunk in Enumerable.Range(0, state.Rows).Chunk(64))
        {
            var stored = await Task.WhenAll(chunk.Select(row => Retry(() => ReadAsync(http, silo, row))));
            lost += chunk.Zip(stored).Count(x => x.Second.Version < state.Version[x.First]);
        }
        return lost;
    }

    private static async Task<(int Version, bool WrittenOff)> ReadAsync(HttpClient http, Uri silo, int row)
    {
        var data = await Gql(http, silo, "query($id: ID!) { billingRow(id: $id) { status version } }", new { id = $"bench/r{row}" });
        var node = data!["billingRow"]!;
        return (node["version"]!.GetValue<int>(), node["status"]!.GetValue<string>() == "WRITTEN_OFF");
    }

    private static async Task<(int Version, bool WrittenOff)?> TryReadAsync(HttpClient http, Uri silo, int row)
    {
        try { return await ReadAsync(http, silo, row); }
        catch (Exception) { return null; }
    }

    private static async Task<T> Retry<T>(Func<Task<T>> call)
    {
        for (var attempt = 1; ; attempt++)
        {
            try { return await call(); }
            catch (Exception) when (attempt < 20) { await Task.Delay(500); }
        }
    }

    private static async Task<JsonNode?> Gql(HttpClient http, Uri silo, string query, object? variables = null)
    {
        using var response = await http.PostAsJsonAsync(new Uri(silo, "graphql"), new { query, variables });
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        if (body["errors"] is not null) throw new InvalidOperationException(body["errors"]!.ToJsonString());
        return body["data"];
    }

    private static double P99(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(sorted.Length * 0.99) - 1)];
    }

    /// <summary>PostgreSQL's ceiling for this load's kind of work: single-row inserts from <paramref name="clients"/> connections for 5 s.</summary>
    private static async Task<double> PostgresInsertsAsync(string cs, int clients)
    {
        await using var source = NpgsqlDataSource.Create(cs);
        await using (var c = source.CreateCommand("drop table if exists bench_cluster_ceiling; create table bench_cluster_ceiling (id bigint primary key, note text)"))
            await c.ExecuteNonQueryAsync();
        long next = 0;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            while (watch.Elapsed < TimeSpan.FromSeconds(5))
            {
                await using var cmd = source.CreateCommand("insert into bench_cluster_ceiling values ($1, 'x')");
                cmd.Parameters.AddWithValue(Interlocked.Increment(ref next));
                await cmd.ExecuteNonQueryAsync();
            }
        }));
        return next / watch.Elapsed.TotalSeconds;
    }

    private static async Task RecreateAsync(string cs)
    {
        var builder = new NpgsqlConnectionStringBuilder(cs);
        var admin = new NpgsqlConnectionStringBuilder(cs) { Database = "postgres", Pooling = false };
        await using (var conn = new NpgsqlConnection(admin.ConnectionString))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"drop database if exists \"{builder.Database}\" with (force)", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        await SchemaMigrator.EnsureDatabaseAsync(cs);
        await SchemaMigrator.ApplyAsync(cs);
    }

    private static int Arg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var v) ? v : fallback;
    }
}
