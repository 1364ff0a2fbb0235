using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Flowstate.Bench;
using Flowstate.Silo.Hosting;
using Flowstate.Tests.Infrastructure;
using Google.Protobuf;
using Xunit.Abstractions;

namespace Flowstate.Tests.Integration;

/// <summary>
/// The ingest path in a real silo process (DESIGN §9 crash rules and backpressure): SIGKILL after
/// sessions were acknowledged and before they were folded loses none of them, and after the restart
/// the folded figures equal a recomputation from the raw log; sending everything again changes
/// nothing; a flood of OTLP exports and ingestSessions batches gets 200, 429 or 503 (never another
/// 5xx), every refusal with Retry-After, while the silo's memory stays under its bound.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class IngestProcessTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int People = 50;
    private const string Org = "ingest-tests";
    private TestDatabase _db = null!;
    private SiloHttp _http = null!;
    private LocalCluster? _cluster;
    private readonly ConcurrentQueue<string> _log = new();

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        _http = new SiloHttp(await TestTokens.MintAsync(_db.ConnectionString, Org));
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null) await _cluster.DisposeAsync();
        _http.Dispose();
        await _db.DisposeAsync();
    }

    private async Task<LocalSilo> StartAsync(Dictionary<string, string>? settings = null)
    {
        if (_cluster is not null) await _cluster.DisposeAsync();
        _cluster = SiloBinary.Cluster(_db.ConnectionString, "ingest-tests", 1, _log, settings);
        await _cluster.StartAsync(TimeSpan.FromSeconds(120));
        return _cluster.Silos[0];
    }

    private async Task SeedAsync(LocalSilo silo)
    {
        await _http.DataAsync(silo.Url, """
            mutation { configureProvider(input: { id: "claude", name: "Claude", telemetryService: "claude-code",
              prices: [{ model: "m", inputPerMTokUsd: "3", outputPerMTokUsd: "15", effectiveFrom: "2026-01-01" }] }) { id } }
            """);
        await _http.DataAsync(silo.Url, "mutation($i: WorkforceInput!) { upsertWorkforce(input: $i) { people } }",
            new { i = new { people = Enumerable.Range(0, People).Select(i => new { id = $"p{i}", email = $"p{i}@bench.example", name = $"P{i}" }) } });
    }

    private static object[] Batch(int batch, int size) => Enumerable.Range(batch * size, size).Select(i => (object)new
    {
        id = $"s{i}", subject = $"p{i % People}", providerId = "claude", model = "m",
        startedAt = new DateTimeOffset(2026, 11, 2 + i % 27, i % 24, 0, 0, TimeSpan.Zero).ToString("O"), inputTokens = 1000 + i % 777, outputTokens = 10 + i % 300,
    }).ToArray();

    private const string IngestDurable = """
        mutation($i: IngestSessionsInput!) { ingestSessions(input: $i) { accepted duplicates rejected { code } } }
        """;

    private Task<long> UnfoldedAsync() => _db.ScalarAsync<long>(
        "select count(*) from ingest_log l, ingest_fold_position p where (l.tx, l.seq) > (p.tx, p.seq)");

    /// <param name="foldWindow">
    /// 0: the default window (the kill lands in one large window); 300: many small windows, so the kill lands while one
    /// window's partitions are being written and the next ones' sessions are already in the sessions table (the fold's two stages).
    /// </param>
    [Theory]
    [InlineData(0)]
    [InlineData(300)]
    public async Task KillBetweenAcknowledgementAndFold_LosesNothing_AndTheFoldedFiguresEqualTheRawLog(int foldWindow)
    {
        var settings = foldWindow == 0 ? null : new Dictionary<string, string> { ["Flowstate__Ingest__FoldWindowItems"] = $"{foldWindow}" };
        Task<LocalSilo> StartAsync() => this.StartAsync(settings);
        var silo = await StartAsync();
        await SeedAsync(silo);
        const int Size = 1000;
        var acked = new ConcurrentBag<string>();
        var batches = 0;
        long unfoldedAtKill = 0;
        // Batches are acknowledged once durable in the log; the silo is killed at the first acknowledgement that
        // leaves items unfolded (the fold of a batch takes far longer than its append, so the first usually does).
        for (var attempt = 0; attempt < 5 && unfoldedAtKill == 0; attempt++)
        {
            var round = Enumerable.Range(batches, 4).ToList();
            batches += round.Count;
            await Task.WhenAll(round.Select(async b =>
            {
                var answer = await _http.DataAsync(silo.Url, IngestDurable, new { i = new { sessions = Batch(b, Size), waitFor = "DURABLE" } });
                Assert.Equal(Size, answer["ingestSessions"]!["accepted"]!.GetValue<int>());
                foreach (var i in Enumerable.Range(b * Size, Size)) acked.Add($"s{i}");
            }));
            silo.Kill();
            await silo.Exited;
            unfoldedAtKill = await UnfoldedAsync();
            if (unfoldedAtKill == 0) silo = await StartAsync();
        }
        output.WriteLine($"{acked.Count} sessions acknowledged, {unfoldedAtKill} not folded when the silo was killed");
        Assert.True(unfoldedAtKill > 0, "every kill came after the fold had caught up: nothing was between acknowledgement and fold");

        silo = await StartAsync();
        await FoldWait.CaughtUpAsync(_db.ConnectionString, TimeSpan.FromSeconds(180));
        var figures = await SettledAsync(silo);
        Assert.Equal(acked.Count, figures.Sessions);
        Assert.Equal(0L, await MismatchesAsync());
        Assert.Equal(figures.LogCost, figures.Observed);
        Assert.Equal(figures.LogMarket, figures.Attribution);

        // Everything again: all duplicates, and not one figure moves.
        var resent = 0;
        for (var b = 0; b < batches; b++)
            resent += (await _http.DataAsync(silo.Url, IngestDurable, new { i = new { sessions = Batch(b, Size), waitFor = "DURABLE" } }))["ingestSessions"]!["duplicates"]!.GetValue<int>();
        Assert.Equal(acked.Count, resent);
        await FoldWait.CaughtUpAsync(_db.ConnectionString, TimeSpan.FromSeconds(120));
        Assert.Equal(figures, await SettledAsync(silo));
        Assert.Equal(0L, await MismatchesAsync());
    }

    /// <summary>
    /// The figures once the period and the rollups have taken what the fold stored (a bulk window's partitions push
    /// on to them right after it, see IngestFold.DeferDeliveryFrom), bounded.
    /// </summary>
    private async Task<Figures> SettledAsync(LocalSilo silo)
    {
        Figures? figures = null;
        await SiloHttp.UntilAsync(async () => (figures = await FiguresAsync(silo)) is var f && f.Observed == f.LogCost && f.Attribution == f.LogMarket,
            TimeSpan.FromSeconds(120), "the period and attribution reach the raw log's totals", () => figures?.ToString() ?? "");
        return figures!;
    }

    private sealed record Figures(long Sessions, decimal LogCost, decimal LogMarket, decimal Observed, decimal Attribution);

    private async Task<Figures> FiguresAsync(LocalSilo silo)
    {
        var summary = await _http.DataAsync(silo.Url, """{ reconciliation(period: "2026-11") { summary { observed } } }""");
        var attribution = await _http.DataAsync(silo.Url, """{ attribution(range: LAST_30_DAYS, costMode: MARKET, asOf: "2026-11-30") { total } }""");
        return new Figures(
            await _db.ScalarAsync<long>("select count(*) from sessions where org = $1", Org),
            await _db.ScalarAsync<decimal>("select coalesce(sum(cost_usd), 0) from ingest_log where org = $1", Org),
            await _db.ScalarAsync<decimal>("select coalesce(sum(market_cost_usd), 0) from ingest_log where org = $1", Org),
            decimal.Parse(summary["reconciliation"]!["summary"]!["observed"]!.GetValue<string>()),
            decimal.Parse(attribution["attribution"]!["total"]!.GetValue<string>()));
    }

    /// <summary>Sessions whose row differs from what the raw log sums to (or that are missing on either side).</summary>
    private Task<long> MismatchesAsync() => _db.ScalarAsync<long>("""
        select count(*) from (select session_id, sum(cost_usd) c, sum(input_tokens) i, sum(output_tokens) o from ingest_log where org = $1 group by 1) l
        full join (select id, cost_usd, input_tokens, output_tokens from sessions where org = $1) s on s.id = l.session_id
        where s.id is null or l.session_id is null or s.cost_usd <> l.c or s.input_tokens <> l.i or s.output_tokens <> l.o
        """, Org);

    [Fact]
    public async Task Flood_Gets200Or429Or503Only_EveryRefusalWithRetryAfter_AndMemoryStaysBounded()
    {
        var grpcPort = SiloBinary.FreePortBases(1).Http;
        var silo = await StartAsync(new()
        {
            ["FLOWSTATE_OTLP_GRPC_PORT"] = grpcPort.ToString(),
            ["Flowstate__Ingest__MaxAppendsInFlight"] = "2", ["Flowstate__Ingest__MaxQueuedAppends"] = "2",
            ["Flowstate__Ingest__MaxRequestsInFlight"] = "4", ["Flowstate__Ingest__MaxUnfoldedItems"] = "20000",
        });
        await SeedAsync(silo);
        var baseline = Rss(silo);
        long peak = baseline;
        var statuses = new ConcurrentDictionary<string, int>();
        var missingRetryAfter = 0;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        long next = 0;
        var token = _http.Client.DefaultRequestHeaders.Authorization!;
        using var otlp = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        otlp.DefaultRequestHeaders.Authorization = token;

        async Task OtlpClient()
        {
            while (!stop.IsCancellationRequested)
            {
                var body = ClaudeCodeExports.Logs(Interlocked.Add(ref next, 1000) - 1000, 1000, People, new DateTimeOffset(2026, 11, 2, 0, 0, 0, TimeSpan.Zero)).ToByteArray();
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/x-protobuf");
                using var response = await otlp.PostAsync(new Uri(silo.Url, "v1/logs"), content);
                Count("otlp", response.StatusCode, response.Headers.RetryAfter is not null);
            }
        }
        // OTLP/gRPC as an exporter speaks it (HTTP/2 without TLS, one length-prefixed message): a refusal
        // is UNAVAILABLE with a retry pushback, which exporters honour, never an error they drop data on.
        async Task GrpcClient()
        {
            while (!stop.IsCancellationRequested)
            {
                var message = ClaudeCodeExports.Logs(Interlocked.Add(ref next, 1000) - 1000, 1000, People, new DateTimeOffset(2026, 11, 2, 0, 0, 0, TimeSpan.Zero)).ToByteArray();
                var framed = new byte[5 + message.Length];
                System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(framed.AsSpan(1), message.Length);
                message.CopyTo(framed, 5);
                using var request = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{grpcPort}/opentelemetry.proto.collector.logs.v1.LogsService/Export")
                {
                    Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact, Content = new ByteArrayContent(framed),
                };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
                request.Headers.TryAddWithoutValidation("te", "trailers");
                using var response = await otlp.SendAsync(request);
                await response.Content.ReadAsByteArrayAsync();
                string? Grpc(string name) => response.Headers.TryGetValues(name, out var v) || response.TrailingHeaders.TryGetValues(name, out v) ? v.First() : null;
                var status = Grpc("grpc-status") ?? $"http {(int)response.StatusCode}";
                statuses.AddOrUpdate($"grpc {status}", 1, (_, n) => n + 1);
                if (status == "14" && Grpc("grpc-retry-pushback-ms") is null) Interlocked.Increment(ref missingRetryAfter);
            }
        }
        async Task GraphQLClient(int client)
        {
            for (var b = client * 10_000; !stop.IsCancellationRequested; b++)
            {
                var answer = await _http.PostAsync(silo.Url, IngestDurable, new { i = new { sessions = Batch(b, 500), waitFor = "DURABLE" } });
                Count($"graphql {answer.Code ?? "ok"}", answer.Status, answer.RetryAfter is not null);
            }
        }
        void Count(string what, HttpStatusCode status, bool retryAfter)
        {
            statuses.AddOrUpdate($"{what} {(int)status}", 1, (_, n) => n + 1);
            if (status is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable && !retryAfter) Interlocked.Increment(ref missingRetryAfter);
        }
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested) { peak = Math.Max(peak, Rss(silo)); await Task.Delay(100); }
        });
        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(OtlpClient)).Concat(Enumerable.Range(0, 8).Select(_ => Task.Run(GrpcClient)))
            .Concat(Enumerable.Range(0, 4).Select(c => Task.Run(() => GraphQLClient(c)))));
        await sampler;
        var summary = string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}"));
        output.WriteLine($"{summary}; RSS {baseline / 1048576} MiB before, peak {peak / 1048576} MiB");

        Assert.All(statuses.Keys.Where(k => !k.StartsWith("grpc")), k => Assert.True(k.EndsWith(" 200") || k.EndsWith(" 429") || k.EndsWith(" 503"), $"{k} in {summary}\n{Failures()}"));
        Assert.All(statuses.Keys.Where(k => k.StartsWith("grpc")), k => Assert.True(k is "grpc 0" or "grpc 14", $"{k} in {summary}\n{Failures()}"));   // OK or UNAVAILABLE
        Assert.Contains("grpc 14", statuses.Keys);   // a gRPC export that is taken is OtlpExporterConformanceTests' part
        Assert.All(statuses.Keys.Where(k => k.StartsWith("graphql") && !k.StartsWith("graphql ok")),
            k => Assert.True(k.StartsWith("graphql OVERLOADED 429") || k.StartsWith("graphql STORAGE_UNAVAILABLE 503"), $"{k} in {summary}"));
        Assert.Contains(statuses.Keys, k => k.EndsWith(" 429"));
        Assert.Contains(statuses.Keys, k => k == "otlp 200");
        Assert.Equal(0, missingRetryAfter);
        // Bodies held at once are bounded by the slots (4 exports being read, 2 appending, 2 queued), whatever the protocol, so the
        // silo's memory stays near where it started, whatever the flood.
        Assert.True(peak - baseline < 768L * 1024 * 1024, $"RSS grew by {(peak - baseline) / 1048576} MiB under the flood");
        Assert.True(silo.IsRunning);
        await FoldWait.CaughtUpAsync(_db.ConnectionString, TimeSpan.FromSeconds(180));
    }

    /// <summary>The silo's logged failures, each with the lines after it (its exception), for a failed assertion's message.</summary>
    private string Failures()
    {
        var lines = _log.ToArray();
        return string.Join('\n', lines.Select((line, i) => (line, i)).Where(l => l.line.StartsWith("fail:", StringComparison.Ordinal))
            .Take(5).SelectMany(l => lines.Skip(l.i).Take(12)));
    }

    private static long Rss(LocalSilo silo)
    {
        var status = File.ReadAllLines($"/proc/{silo.Pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(status.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }
}
