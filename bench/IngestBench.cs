using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Flowstate.Silo.Hosting;
using Flowstate.Silo.Options;
using Flowstate.Storage;
using Google.Protobuf;
using Npgsql;
using NpgsqlTypes;

namespace Flowstate.Bench;

/// <summary>
/// <c>./flowstate bench ingest</c> (issue 10): the write path for volume, each figure beside PostgreSQL's own ceiling for
/// the same rows measured in the same run, and beside the previous path's figure. Sessions through ingestSessions
/// (batches of 1,000 over 500 people) and agent calls through /v1/logs (protobuf, 1,000 records per export), each
/// acknowledged once durable in the ingest log and then folded; p99 from acknowledgement to visible in sessions and
/// attribution at that load; the silo's peak memory under 30 s of overload (answers 200/429/503 only); and a year of
/// a 5,000-person org (1,000,000 sessions) loaded and folded, with attribution checked against the raw log.
/// </summary>
public static class IngestBench
{
    private const string Org = "bench";
    private const int People = 500, InFlight = 8;
    /// <summary>The previous path (ingestSessions writing partitions and the sessions table synchronously), README 2026-12-01..03.</summary>
    private const string Previous = "1,267–2,460/s";

    public static async Task<int> RunAsync(string[] args)
    {
        int Arg(string name, int fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        var sessionCount = Arg("--sessions", 100_000);
        var callCount = Arg("--calls", 100_000);
        var overloadSeconds = Arg("--overload-seconds", 30);
        var yearSessions = Arg("--year-sessions", 1_000_000);
        var yearPeople = Arg("--year-people", 5000);

        var db = await BenchHost.FreshDatabaseAsync("flowstate_bench_ingest");
        var (app, options) = await BenchHost.StartSiloAsync(db);
        await using var data = NpgsqlDataSource.Create(db);
        var log = new IngestLogStore(data);
        using var http = await new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = new Uri(options.Http), Timeout = TimeSpan.FromMinutes(5) }
            .SignInAsync(db, Org);
        async Task<JsonObject> Gql(string query, object? variables = null)
        {
            using var response = await http.PostAsJsonAsync("/graphql", new { query, variables });
            var body = await response.Content.ReadFromJsonAsync<JsonObject>();
            if (!response.IsSuccessStatusCode || body?["errors"] is not null) throw new InvalidOperationException($"GraphQL {(int)response.StatusCode}: {body}");
            return body!["data"]!.AsObject();
        }

        Console.WriteLine($"Flowstate ingest benchmark — {Environment.ProcessorCount} cores, PostgreSQL local, in-process silo, {InFlight} batches in flight");
        await Gql("""
            mutation { configureProvider(input: { id: "bench", name: "Bench", telemetryService: "claude-code",
              prices: [{ model: "m", inputPerMTokUsd: "3", outputPerMTokUsd: "15", effectiveFrom: "2020-01-01" }] }) { id } }
            """);
        await Gql("mutation($i: WorkforceInput!) { upsertWorkforce(input: $i) { people } }", new { i = new { people = Enumerable.Range(0, People)
            .Select(i => new { id = $"p{i}", email = $"p{i}@bench.example", name = $"Person {i}" }).Append(new { id = "probe", email = "probe@bench.example", name = "Probe" }) } });

        // 1. PostgreSQL's own ceilings for the same rows: COPY (binary) and the multi-row insert the append uses.
        var day0 = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        var copyPerSecond = await CopyCeilingAsync(data, sessionCount, day0);
        var insertPerSecond = await InsertCeilingAsync(data, sessionCount, day0);

        using var stages = new FoldStages();
        // 2 and 3, each with probes measuring acknowledgement → visible in `session` and in attribution.
        var probes = new Probes(Gql);
        object SessionOf(int i) => new
        {
            id = $"s{i}", subject = $"p{i % People}", providerId = "bench", model = "m",
            startedAt = day0.AddMinutes(i % (28 * 24 * 60)).ToString("O"), inputTokens = 1000 + i % 500, outputTokens = 200,
        };
        // Each batch's request encoded before the clock starts: the load generator shares the silo's two cores, and its
        // JSON writing is not the silo's work (OTLP exports below are encoded likewise).
        var sessionBodies = Enumerable.Range(0, sessionCount).Chunk(1000).Select(batch => JsonSerializer.SerializeToUtf8Bytes(new
        {
            query = "mutation($i: IngestSessionsInput!) { ingestSessions(input: $i) { accepted } }",
            variables = new { i = new { sessions = batch.Select(SessionOf), waitFor = "DURABLE" } },
        })).ToList();
        var (sessionAck, sessionFolded, sessionRefused) = await LoadAsync(log, probes, sessionBodies.Count, async b =>
        {
            using var content = new ByteArrayContent(sessionBodies[b]);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await http.PostAsync("/graphql", content);
            return (response.StatusCode, response.Headers.RetryAfter?.Delta);
        });
        var sessionLatency = probes.Take();
        Console.WriteLine($"ceilings: COPY {copyPerSecond:N0} rows/s, insert {insertPerSecond:N0} rows/s; ingestSessions: {sessionCount / sessionAck:N0}/s durable, " +
                          $"{sessionCount / sessionFolded:N0}/s folded, ack → visible p50 {sessionLatency.P50:N0} ms p99 {sessionLatency.P99:N0} ms");
        Console.WriteLine($"  fold: {stages.Take()}");

        var exports = (callCount + 999) / 1000;
        using var otlp = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = new Uri(options.Http), Timeout = TimeSpan.FromMinutes(5) };
        otlp.DefaultRequestHeaders.Authorization = http.DefaultRequestHeaders.Authorization;
        var exportBodies = Enumerable.Range(0, exports).Select(e => ClaudeCodeExports.Logs(e * 1000L, 1000, People, day0).ToByteArray()).ToList();
        var (callAck, callFolded, callRefused) = await LoadAsync(log, probes, exports, async e =>
        {
            using var content = new ByteArrayContent(exportBodies[e]);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
            using var response = await otlp.PostAsync("/v1/logs", content);
            return (response.StatusCode, response.Headers.RetryAfter?.Delta);
        });
        var callLatency = probes.Take();
        Console.WriteLine($"/v1/logs: {callCount / callAck:N0} calls/s durable, {callCount / callFolded:N0}/s folded, ack → visible p50 {callLatency.P50:N0} ms p99 {callLatency.P99:N0} ms");
        Console.WriteLine($"  fold: {stages.Take()}");

        // 4. Overload: far more than the path takes, for 30 s; the answers and the process's peak memory.
        var (answers, peakRss, peakHeap, baselineRss) = await OverloadAsync(http, otlp, overloadSeconds, day0, sessionCount, callCount);
        var overloadFolded = Stopwatch.StartNew();
        await log.WaitFoldedAsync(TimeSpan.FromMinutes(30));
        var drain = overloadFolded.Elapsed.TotalSeconds;
        Console.WriteLine($"overload {overloadSeconds} s: {string.Join(", ", answers.OrderBy(a => a.Key).Select(a => $"{a.Key}: {a.Value:N0}"))}; RSS {baselineRss / 1048576:N0} → peak {peakRss / 1048576:N0} MiB; drained in {drain:N0} s");

        await app.StopAsync();
        await app.DisposeAsync();

        // 5. A year of a 5,000-person org through the same path (its own database and silo).
        var year = await AttributionBench.LoadYearAsync(new NpgsqlConnectionStringBuilder(db) { Database = "flowstate_bench_year" }.ConnectionString,
            yearPeople, 300, yearSessions);

        Console.WriteLine();
        Console.WriteLine($"{"figure",-52} {"measured",16}   {"ceiling (same run)",-34} {"previous",14}   target");
        Row("sessions/s durable through ingestSessions", $"{sessionCount / sessionAck:N0}/s", $"COPY {copyPerSecond:N0} rows/s, insert {insertPerSecond:N0}/s", Previous, Verdict(sessionCount / sessionAck >= 20_000, "≥ 20,000/s"));
        Row("  … folded (sessions table, partitions)", $"{sessionCount / sessionFolded:N0}/s", "", Previous, Verdict(sessionCount / sessionFolded >= 20_000, "≥ 20,000/s sustained"));
        Row("calls/s durable through /v1/logs (protobuf)", $"{callCount / callAck:N0}/s", $"COPY {copyPerSecond:N0} rows/s", "", Verdict(callCount / callAck >= 20_000, "≥ 20,000/s"));
        Row("  … folded", $"{callCount / callFolded:N0}/s", "", "", Verdict(callCount / callFolded >= 20_000, "≥ 20,000/s sustained"));
        Row("p99 ack → visible (sessions load), ms", $"{sessionLatency.P99:N0}", $"p50 {sessionLatency.P50:N0}, {sessionLatency.Count} probes", "", Verdict(sessionLatency.P99 <= 2000, "≤ 2,000"));
        Row("p99 ack → visible (/v1/logs load), ms", $"{callLatency.P99:N0}", $"p50 {callLatency.P50:N0}, {callLatency.Count} probes", "", Verdict(callLatency.P99 <= 2000, "≤ 2,000"));
        var fiveXx = answers.Where(a => a.Key >= 500 && a.Key != 503).Sum(a => a.Value);
        Row($"peak memory, {overloadSeconds} s overload (RSS, MiB)", $"{peakRss / 1048576:N0}", $"{baselineRss / 1048576:N0} before; heap peak {peakHeap / 1048576:N0}", "", Verdict(fiveXx == 0, "bounded, no 5xx"));
        Row($"{yearSessions:N0}-session year, {yearPeople:N0} people (s)", $"{year.Seconds:N0}", $"{yearSessions / year.Seconds:N0} sessions/s", "~840 s", yearSessions >= 1_000_000
            ? Verdict(year.Seconds < 120 && year.Attribution == year.Raw, "< 120 s, totals equal")
            : "target is for 1,000,000 sessions: not judged");   // a smaller year says nothing of the target
        Console.WriteLine();
        Console.WriteLine($"refused while loading (429, retried after Retry-After): sessions {sessionRefused}, exports {callRefused}");
        Console.WriteLine($"overload answers: {string.Join(", ", answers.OrderBy(a => a.Key).Select(a => $"{a.Key}: {a.Value:N0}"))}; then the fold drained its backlog in {drain:N0} s");
        Console.WriteLine($"year: attribution org/1Y MARKET {year.Attribution:N2} vs the raw log {year.Raw:N2} ({(year.Attribution == year.Raw ? "equal" : "DIFFERENT")})");
        return 0;
    }

    /// <summary>The fold's time per stage (flowstate.ingest_fold_stage_duration, summed over its windows), read in-process.</summary>
    private sealed class FoldStages : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentDictionary<string, (double Seconds, int Windows)> _stages = new();

        public FoldStages()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == FlowstateMetrics.MeterName && instrument.Name == FlowstateMetrics.FoldStageInstrument) listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<double>((_, seconds, tags, _) =>
            {
                foreach (var tag in tags)
                    if (tag.Key == "stage" && tag.Value is string stage) _stages.AddOrUpdate(stage, (seconds, 1), (_, s) => (s.Seconds + seconds, s.Windows + 1));
            });
            _listener.Start();
        }

        /// <summary>"read 1.2 s, sessions 3.4 s, … over N windows" since the last call.</summary>
        public string Take()
        {
            var taken = _stages.ToArray();
            _stages.Clear();
            var windows = taken.Select(s => s.Value.Windows).DefaultIfEmpty(0).Max();
            return string.Join(", ", FlowstateMetrics.FoldStages.Select(n => $"{n} {taken.FirstOrDefault(s => s.Key == n).Value.Seconds:N1} s"))
                   + $" over {windows:N0} windows (the stages overlap: a window's partitions while the next one's sessions)";
        }

        public void Dispose() => _listener.Dispose();
    }

    private static string Verdict(bool met, string target) => $"{target} ({(met ? "met" : "not met")})";
    private static void Row(string a, string b, string c, string d, string e) => Console.WriteLine($"{a,-52} {b,16}   {c,-34} {d,14}   {e}");

    /// <summary>
    /// Sends <paramref name="count"/> batches, <see cref="InFlight"/> at a time, honouring 429/503 with Retry-After; returns
    /// the seconds until the last acknowledgement, until the fold had caught up, and how many answers were refusals.
    /// </summary>
    private static async Task<(double Ack, double Folded, int Refused)> LoadAsync(IngestLogStore log, Probes probes, int count,
        Func<int, Task<(HttpStatusCode Status, TimeSpan? RetryAfter)>> send)
    {
        var refused = 0;
        var next = -1;
        var watch = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        var probing = probes.RunAsync(stop.Token);
        await Task.WhenAll(Enumerable.Range(0, InFlight).Select(async _ =>
        {
            for (int b; (b = Interlocked.Increment(ref next)) < count;)
                while (true)
                {
                    var (status, retryAfter) = await send(b);
                    if (status == HttpStatusCode.OK) break;
                    if (status is not (HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable)) throw new InvalidOperationException($"HTTP {(int)status}");
                    Interlocked.Increment(ref refused);
                    await Task.Delay(retryAfter ?? TimeSpan.FromSeconds(1));
                }
        }));
        var ack = watch.Elapsed.TotalSeconds;
        if (!await log.WaitFoldedAsync(TimeSpan.FromMinutes(30))) throw new TimeoutException("the fold did not catch up within 30 minutes");
        var folded = watch.Elapsed.TotalSeconds;
        stop.Cancel();
        await probing;
        return (ack, folded, refused);
    }

    /// <summary>
    /// One session every 200 ms for the probe person; the time from its acknowledgement until both `session` and attribution
    /// show it. One watcher polls for every probe still unseen in a single query, so the probes load the silo they measure
    /// the same however far behind it is (a poller per probe grew the load with the latency).
    /// </summary>
    private sealed class Probes(Func<string, object?, Task<JsonObject>> gql)
    {
        /// <summary>Between polls: fine enough for a 2 s target.</summary>
        private static readonly TimeSpan PollEvery = TimeSpan.FromMilliseconds(100);

        private int _sent;
        private List<double> _latencies = [];
        private readonly Dictionary<int, long> _unseen = [];   // probe number → when it was acknowledged

        public async Task RunAsync(CancellationToken stop)
        {
            var sending = Task.Run(async () =>
            {
                var pending = new List<Task>();
                while (!stop.IsCancellationRequested)
                {
                    pending.Add(SendAsync(Interlocked.Increment(ref _sent)));
                    try { await Task.Delay(200, stop); } catch (OperationCanceledException) { }
                }
                await Task.WhenAll(pending);
            });
            // Watches until the load has stopped and every probe sent is seen (or 5 minutes have passed since the stop).
            var giveUp = long.MaxValue;
            while (true)
            {
                KeyValuePair<int, long>[] unseen;
                lock (_unseen) unseen = [.. _unseen];
                if (stop.IsCancellationRequested && sending.IsCompleted && unseen.Length == 0) break;
                if (stop.IsCancellationRequested && giveUp == long.MaxValue) giveUp = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 300;
                if (Stopwatch.GetTimestamp() > giveUp) break;
                if (unseen.Length > 0) await WatchAsync(unseen);
                await Task.Delay(PollEvery);
            }
            await sending;
        }

        private async Task SendAsync(int n)
        {
            // A probe is refused like any batch while the path sheds load: it is sent again after the wait, and timed from its acknowledgement.
            for (var sent = false; !sent;)
                try
                {
                    await gql("mutation($i: IngestSessionsInput!) { ingestSessions(input: $i) { accepted } }", new { i = new { waitFor = "DURABLE", sessions = new[] { new
                    {
                        id = $"probe-{n}", subject = "probe", providerId = "bench", model = "m", startedAt = "2026-11-15T12:00:00Z", inputTokens = 1, outputTokens = 1, costUsd = "1",
                    } } } });
                    sent = true;
                }
                catch (InvalidOperationException e) when (e.Message.Contains(ErrorCodes.Overloaded)) { await Task.Delay(TimeSpan.FromSeconds(2)); }
            lock (_unseen) _unseen[n] = Stopwatch.GetTimestamp();
        }

        /// <summary>One query for every unseen probe: a probe is seen once `session` has it and attribution's total covers every probe up to it (each costs exactly 1).</summary>
        private async Task WatchAsync(KeyValuePair<int, long>[] unseen)
        {
            var sessions = string.Join(" ", unseen.Select(u => $"p{u.Key}: session(id: \"probe-{u.Key}\") {{ id }}"));
            var data = await gql($$"""
                { {{sessions}} attribution(range: LAST_30_DAYS, costMode: MARKET, asOf: "2026-11-28", scope: { personId: "probe" }) { total } }
                """, null);
            var now = Stopwatch.GetTimestamp();
            var total = decimal.Parse(data["attribution"]!["total"]!.GetValue<string>(), CultureInfo.InvariantCulture);
            lock (_unseen)
                foreach (var (n, acked) in unseen)
                    if (data[$"p{n}"] is not null && total >= n)
                    {
                        _unseen.Remove(n);
                        lock (this) _latencies.Add(Stopwatch.GetElapsedTime(acked, now).TotalMilliseconds);
                    }
        }

        /// <summary>The latencies so far (and starts afresh).</summary>
        public (double P50, double P99, int Count) Take()
        {
            List<double> taken;
            lock (this) (taken, _latencies) = (_latencies, []);
            var sorted = taken.Order().ToArray();
            double Pct(double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p / 100 * sorted.Length) - 1)];
            return (Pct(50), Pct(99), sorted.Length);
        }
    }

    /// <summary>32 exporters and 4 GraphQL loaders flat out with new data for <paramref name="seconds"/>: what they were answered, and the process's peak memory.</summary>
    private static async Task<(Dictionary<int, int> Answers, long PeakRss, long PeakHeap, long BaselineRss)> OverloadAsync(
        HttpClient http, HttpClient otlp, int seconds, DateTimeOffset day0, int sessionsBefore, int callsBefore)
    {
        var answers = new ConcurrentDictionary<int, int>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        long nextCall = callsBefore + 1_000_000L, nextSession = sessionsBefore + 1_000_000L;
        var baseline = Rss();
        long peakRss = baseline, peakHeap = GC.GetTotalMemory(false);
        async Task Exporter()
        {
            while (!stop.IsCancellationRequested)
            {
                using var content = new ByteArrayContent(ClaudeCodeExports.Logs(Interlocked.Add(ref nextCall, 1000) - 1000, 1000, People, day0).ToByteArray());
                content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
                try
                {
                    using var response = await otlp.PostAsync("/v1/logs", content);
                    answers.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
                }
                catch (HttpRequestException) { answers.AddOrUpdate(0, 1, (_, n) => n + 1); }
            }
        }
        async Task Loader()
        {
            while (!stop.IsCancellationRequested)
            {
                var first = Interlocked.Add(ref nextSession, 1000) - 1000;
                var sessions = Enumerable.Range(0, 1000).Select(k => new
                {
                    id = $"o{first + k}", subject = $"p{(first + k) % People}", providerId = "bench", model = "m",
                    startedAt = day0.AddMinutes((first + k) % (28 * 24 * 60)).ToString("O"), inputTokens = 1000, outputTokens = 200,
                });
                using var response = await http.PostAsJsonAsync("/graphql", new
                {
                    query = "mutation($i: IngestSessionsInput!) { ingestSessions(input: $i) { accepted } }", variables = new { i = new { sessions, waitFor = "DURABLE" } },
                });
                answers.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
            }
        }
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                peakRss = Math.Max(peakRss, Rss());
                peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(false));
                await Task.Delay(100);
            }
        });
        await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Task.Run(Exporter)).Concat(Enumerable.Range(0, 4).Select(_ => Task.Run(Loader))));
        await sampler;
        return (new Dictionary<int, int>(answers), peakRss, peakHeap, baseline);
    }

    private static long Rss()
    {
        var line = File.ReadAllLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    /// <summary>COPY (binary) of the same rows into a table shaped like the ingest log, one stream: PostgreSQL's own bulk ceiling.</summary>
    private static async Task<double> CopyCeilingAsync(NpgsqlDataSource db, int count, DateTimeOffset day0)
    {
        await using (var create = db.CreateCommand("drop table if exists ingest_ceiling; create table ingest_ceiling (like ingest_log including defaults including indexes)"))
            await create.ExecuteNonQueryAsync();
        var watch = Stopwatch.StartNew();
        await using (var conn = await db.OpenConnectionAsync())
        await using (var copy = await conn.BeginBinaryImportAsync("""
            copy ingest_ceiling (org, session_id, item_id, kind, provider_id, subject_key, person_id, model, started_at, input_tokens, output_tokens, cost_usd, market_cost_usd)
            from stdin (format binary)
            """))
        {
            for (var i = 0; i < count; i++)
            {
                await copy.StartRowAsync();
                await copy.WriteAsync(Org, NpgsqlDbType.Text);
                await copy.WriteAsync($"s{i}", NpgsqlDbType.Text);
                await copy.WriteAsync("session", NpgsqlDbType.Text);
                await copy.WriteAsync((short)0, NpgsqlDbType.Smallint);
                await copy.WriteAsync("bench", NpgsqlDbType.Text);
                await copy.WriteAsync($"p:p{i % People}", NpgsqlDbType.Text);
                await copy.WriteAsync($"p{i % People}", NpgsqlDbType.Text);
                await copy.WriteAsync("m", NpgsqlDbType.Text);
                await copy.WriteAsync(day0.AddMinutes(i % 40_000).UtcDateTime, NpgsqlDbType.TimestampTz);
                await copy.WriteAsync(1000L + i % 500, NpgsqlDbType.Bigint);
                await copy.WriteAsync(200L, NpgsqlDbType.Bigint);
                await copy.WriteAsync(0.006m, NpgsqlDbType.Numeric);
                await copy.WriteAsync(0.006m, NpgsqlDbType.Numeric);
            }
            await copy.CompleteAsync();
        }
        return count / watch.Elapsed.TotalSeconds;
    }

    /// <summary>The multi-row insert of the append (unnest, on conflict do nothing), batches of 1,000, <see cref="InFlight"/> at a time.</summary>
    private static async Task<double> InsertCeilingAsync(NpgsqlDataSource db, int count, DateTimeOffset day0)
    {
        await using (var truncate = db.CreateCommand("truncate ingest_ceiling")) await truncate.ExecuteNonQueryAsync();
        var batches = Enumerable.Range(0, count).Chunk(1000).ToList();
        var next = -1;
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, InFlight).Select(async _ =>
        {
            for (int b; (b = Interlocked.Increment(ref next)) < batches.Count;)
            {
                var rows = batches[b];
                await using var cmd = db.CreateCommand("""
                    insert into ingest_ceiling (org, session_id, item_id, kind, provider_id, subject_key, person_id, model, started_at, input_tokens, output_tokens, cost_usd, market_cost_usd)
                    select $1, s, 'session', 0, 'bench', p, p, 'm', t, i, 200, 0.006, 0.006 from unnest($2::text[], $3::text[], $4::timestamptz[], $5::bigint[]) u(s, p, t, i)
                    on conflict (org, session_id, item_id) do nothing
                    """);
                cmd.Parameters.AddWithValue(Org);
                cmd.Parameters.AddWithValue(rows.Select(i => $"s{i}").ToArray());
                cmd.Parameters.AddWithValue(rows.Select(i => $"p{i % People}").ToArray());
                cmd.Parameters.AddWithValue(rows.Select(i => day0.AddMinutes(i % 40_000).UtcDateTime).ToArray());
                cmd.Parameters.AddWithValue(rows.Select(i => 1000L + i % 500).ToArray());
                await cmd.ExecuteNonQueryAsync();
            }
        }));
        var perSecond = count / watch.Elapsed.TotalSeconds;
        await using (var drop = db.CreateCommand("drop table ingest_ceiling")) await drop.ExecuteNonQueryAsync();
        return perSecond;
    }
}
