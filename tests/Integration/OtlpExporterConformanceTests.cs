using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Flowstate.Silo.Hosting;
using Flowstate.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Resources;

namespace Flowstate.Tests.Integration;

/// <summary>
/// Conformance with the official .NET OpenTelemetry exporter (OpenTelemetry.Exporter.OpenTelemetryProtocol)
/// against a real silo process: log records shaped like Claude Code's <c>claude_code.api_request</c>
/// events (FORMATS.md §1.5), sent with an ingest key in the exporter's headers over http/protobuf to
/// /v1/logs and over gRPC to FLOWSTATE_OTLP_GRPC_PORT. The exporter must report every export a
/// success, and the sessions must then appear in <c>sessions</c>, <c>myUsage</c> and <c>attribution</c> with the exact
/// tokens and costs. A bad key must make the exporter report a failure (so the success is not vacuous).
/// </summary>
[Collection(DurabilityCollection.Name)]
public sealed class OtlpExporterConformanceTests(OtlpExporterConformanceTests.OneSilo silo) : IClassFixture<OtlpExporterConformanceTests.OneSilo>
{
    private const string Org = "otlp-org";

    /// <summary>One silo process with OTLP/gRPC on a port of its own, an org whose provider owns claude-code, and an ingest key.</summary>
    public sealed class OneSilo : IAsyncLifetime
    {
        private TestDatabase _db = null!;
        public ConcurrentQueue<string> Log { get; } = new();
        public LocalCluster Cluster { get; private set; } = null!;
        public HttpClient Admin { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };
        public Uri Http => Cluster.Silos[0].Url;
        public int GrpcPort { get; private set; }
        public string IngestKey { get; private set; } = "";

        public async Task InitializeAsync()
        {
            _db = await TestDatabase.CreateAsync();
            GrpcPort = SiloBinary.FreePortBases(1).Http;
            Cluster = SiloBinary.Cluster(_db.ConnectionString, "otlp-exporter-tests", 1, Log, new Dictionary<string, string> { ["FLOWSTATE_OTLP_GRPC_PORT"] = GrpcPort.ToString() });
            Admin.SignedIn(await TestTokens.MintAsync(_db.ConnectionString, Org));
            await Cluster.StartAsync(TimeSpan.FromSeconds(120));
            // Claude Code's telemetry is the provider "claude" (no price list, 20% discount: the agent's cost is the market cost).
            await AdminAsync("""
                mutation { configureProvider(input: { id: "claude", name: "Claude Code", telemetryService: "claude-code", plan: { discount: "0.2" } }) { id } }
                """);
            await AdminAsync("""
                mutation { upsertWorkforce(input: { people: [{ id: "alice", email: "alice@acme.example", name: "Alice" },
                  { id: "bob", email: "bob@acme.example", name: "Bob" }, { id: "carol", email: "carol@acme.example", name: "Carol" },
                  { id: "dave", email: "dave@acme.example", name: "Dave" }, { id: "erin", email: "erin@acme.example", name: "Erin" }] }) { __typename } }
                """);
            IngestKey = (await AdminAsync("""mutation { createIngestKey(input: { name: "otel exporter", roles: ["ingest"] }) { secret } }"""))
                ["createIngestKey"]!["secret"]!.GetValue<string>();
        }

        public async Task<JsonNode> AdminAsync(string query, object? variables = null)
        {
            using var response = await Admin.PostAsJsonAsync(new Uri(Http, "graphql"), new { query, variables });
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.True(response.IsSuccessStatusCode && body["errors"] is null, $"{(int)response.StatusCode}: {body.ToJsonString()}");
            return body["data"]!;
        }

        public async Task DisposeAsync()
        {
            await Cluster.DisposeAsync();
            Admin.Dispose();
            await _db.DisposeAsync();
        }
    }

    /// <summary>One model call of a session, as Claude Code reports it.</summary>
    private sealed record Call(string Model, long Input, long Output, long CacheRead, long CacheCreation, double CostUsd, long? CostMicros = null);

    /// <summary>Wraps the official OTLP log exporter and records what each export returned, and how many records it carried.</summary>
    private sealed class RecordingExporter(BaseExporter<LogRecord> inner) : BaseExporter<LogRecord>
    {
        // The SDK hands the provider (and so the resource: service.name) only to the exporter its processor holds;
        // its setter is internal, so the wrapped exporter gets it the same way, by reflection.
        private static readonly System.Reflection.PropertyInfo ParentProviderProperty = typeof(BaseExporter<LogRecord>).GetProperty(nameof(ParentProvider))!;

        public ConcurrentQueue<(ExportResult Result, int Records)> Exports { get; } = new();

        public override ExportResult Export(in Batch<LogRecord> batch)
        {
            if (inner.ParentProvider is null) ParentProviderProperty.SetValue(inner, ParentProvider);
            var result = inner.Export(batch);
            Exports.Enqueue((result, (int)batch.Count));
            return result;
        }

        protected override bool OnShutdown(int timeoutMilliseconds) => inner.Shutdown(timeoutMilliseconds);
        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }

    /// <summary>
    /// Logs the calls (and one user prompt, a turn) through ILogger into the official OTLP exporter, then
    /// disposes the logger factory, which exports whatever is queued and shuts the exporter down: the
    /// returned list holds every export's result.
    /// </summary>
    private static List<(ExportResult Result, int Records)> Export(OtlpExportProtocol protocol, Uri endpoint, string bearer,
        string session, string email, IReadOnlyList<Call> calls)
    {
        var exporter = new RecordingExporter(new OtlpLogExporter(new OtlpExporterOptions
        {
            Protocol = protocol, Endpoint = endpoint, Headers = $"Authorization=Bearer {bearer}", TimeoutMilliseconds = 20_000,
        }));
        using (var factory = LoggerFactory.Create(logging => logging.AddOpenTelemetry(o =>
               {
                   o.SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService("claude-code", serviceVersion: "2.1.262")
                       .AddAttributes([new("os.type", "linux"), new("host.arch", "amd64")]));
                   // One export at shutdown holding every record (the delay is longer than the test).
                   o.AddProcessor(new BatchLogRecordExportProcessor(exporter, scheduledDelayMilliseconds: 600_000, exporterTimeoutMilliseconds: 30_000));
               })))
            LogSession(factory, session, email, calls);
        return exporter.Exports.ToList();
    }

    /// <summary>
    /// The same records through an exporter configured only by the OTEL_EXPORTER_OTLP_* settings the README
    /// tells a newcomer to set (read by the SDK from configuration, as from the environment): the generic
    /// endpoint has no path, and the exporter appends /v1/logs to it for http/protobuf.
    /// </summary>
    private static void ExportConfiguredBySettings(Dictionary<string, string?> settings, string session, string email, IReadOnlyList<Call> calls)
    {
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build())
            .AddLogging(logging => logging.AddOpenTelemetry(o => o.SetResourceBuilder(ResourceBuilder.CreateEmpty().AddService("claude-code", serviceVersion: "2.1.262"))));
        services.ConfigureOpenTelemetryLoggerProvider(logs => logs.AddOtlpExporter());
        // Disposing the provider shuts the logger provider down, which exports what is queued.
        using var provider = services.BuildServiceProvider();
        LogSession(provider.GetRequiredService<ILoggerFactory>(), session, email, calls);
    }

    /// <summary>One user prompt (a turn), then the session's calls as api_request events.</summary>
    private static void LogSession(ILoggerFactory factory, string session, string email, IReadOnlyList<Call> calls)
    {
        var logger = factory.CreateLogger("com.anthropic.claude_code.events");
        var sequence = 0;
        Event(logger, "user_prompt", Standard(session, email, sequence++).Append(new("prompt_length", "26")).Append(new("prompt", "<REDACTED>")));
        foreach (var call in calls)
        {
            var attributes = Standard(session, email, sequence++).Concat(
            [
                new("model", call.Model), new("input_tokens", call.Input), new("output_tokens", call.Output),
                new("cache_read_tokens", call.CacheRead), new("cache_creation_tokens", call.CacheCreation), new("cost_usd", call.CostUsd),
                new("duration_ms", 1834), new("request_id", "req_" + Guid.NewGuid().ToString("N")), new("client_request_id", Guid.NewGuid().ToString()),
                new("speed", "normal"), new("query_source", "repl_main_thread"),
            ]);
            if (call.CostMicros is { } micros) attributes = attributes.Append(new("cost_usd_micros", micros));
            Event(logger, "api_request", attributes);
        }
    }

    /// <summary>Claude Code's standard attributes on every event record (FORMATS.md §1.3–1.4).</summary>
    private static IEnumerable<KeyValuePair<string, object?>> Standard(string session, string email, int sequence) =>
    [
        new("session.id", session), new("user.id", "3c9f0b6e7a1d48e2b5f4c7a9d0e1f2a3"), new("user.email", email),
        new("organization.id", "7d1e4a52-9c3b-4f8e-a6d0-2b5c8e1f4a7d"), new("terminal.type", "vscode"),
        new("event.sequence", sequence), new("event.timestamp", DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ")),
    ];

    /// <summary>One event: the body is "claude_code.&lt;name&gt;" (the message template), event.name the bare name, as Claude Code sends them.</summary>
    private static void Event(ILogger logger, string name, IEnumerable<KeyValuePair<string, object?>> attributes)
    {
        var state = attributes.Append(new("event.name", name)).Append(new("{OriginalFormat}", "claude_code." + name)).ToList();
        logger.Log(LogLevel.Information, default, state, null, (_, _) => "claude_code." + name);
    }

    /// <summary>Waits (bounded) for the person's sessions to be folded and returns the one named <paramref name="session"/>.</summary>
    private async Task<JsonNode> FoldedSessionAsync(string person, string session, string costUsd)
    {
        JsonNode? found = null;
        await SiloHttp.UntilAsync(async () =>
        {
            var data = await silo.AdminAsync("""
                query($person: ID!) { sessions(filter: { personId: $person }) { totalCount edges { node {
                  id providerId model subject person { id } inputTokens outputTokens cachedInputTokens turns costUsd marketCostUsd } } } }
                """, new { person });
            found = data["sessions"]!["edges"]!.AsArray().Select(e => e!["node"]!).FirstOrDefault(n => n["id"]!.GetValue<string>() == session);
            return found?["costUsd"]?.GetValue<string>() == costUsd;
        }, TimeSpan.FromSeconds(30), $"session {session} folded with cost {costUsd}", () => $"last seen: {found?.ToJsonString()}\n{string.Join("\n", silo.Log.TakeLast(30))}");
        return found!;
    }

    /// <summary>
    /// myUsage and attribution (their rollups fold after the sessions table, so waited for, bounded) with the
    /// person's exact spend at the org rate and at list price.
    /// </summary>
    private async Task AssertUsageAsync(string person, string spend, string market, int sessions)
    {
        JsonNode? data = null;
        await SiloHttp.UntilAsync(async () =>
        {
            data = await silo.AdminAsync("""
                query($person: ID!) { myUsage(personId: $person) { spend market: spend(costMode: MARKET) sessionCount person { id } }
                  attribution(scope: { personId: $person }) { total } marketAttribution: attribution(scope: { personId: $person }, costMode: MARKET) { total } }
                """, new { person });
            return data["myUsage"]!["spend"]!.GetValue<string>() == spend && data["attribution"]!["total"]!.GetValue<string>() == spend;
        }, TimeSpan.FromSeconds(30), $"myUsage and attribution of {person} spending {spend}", () => $"last seen: {data?.ToJsonString()}");
        var usage = data!["myUsage"]!;
        Assert.Equal(person, usage["person"]!["id"]!.GetValue<string>());
        Assert.Equal(market, usage["market"]!.GetValue<string>());
        Assert.Equal(sessions, usage["sessionCount"]!.GetValue<int>());
        Assert.Equal(market, data["marketAttribution"]!["total"]!.GetValue<string>());
    }

    private static void AssertAllSucceeded(List<(ExportResult Result, int Records)> exports, int records)
    {
        Assert.NotEmpty(exports);
        Assert.All(exports, e => Assert.Equal(ExportResult.Success, e.Result));
        Assert.Equal(records, exports.Sum(e => e.Records));
    }

    [Fact]
    public async Task HttpProtobuf_ClaudeCodeApiRequests_AreAccepted_AndTheSessionHasTheExactTokensAndCosts()
    {
        var session = Guid.NewGuid().ToString();
        // Costs as Claude Code's cost_usd (doubles); multiples of 0.000005, so the 20% discount is exact to the micro-dollar.
        Call[] calls =
        [
            new("claude-sonnet-5", 912, 14, 18240, 4, 0.012345),
            new("claude-sonnet-5", 2210, 412, 20450, 2, 0.00451),
            new("claude-haiku-4-5-20251001", 1631, 287, 0, 0, 0.02),
        ];
        var exports = Export(OtlpExportProtocol.HttpProtobuf, new Uri(silo.Http, "v1/logs"), silo.IngestKey, session, "alice@acme.example", calls);
        AssertAllSucceeded(exports, records: 4);

        var s = await FoldedSessionAsync("alice", session, "0.029484");   // 0.009876 + 0.003608 + 0.016
        Assert.Equal("claude", s["providerId"]!.GetValue<string>());
        Assert.Equal("alice", s["person"]!["id"]!.GetValue<string>());
        Assert.Equal(912 + 4 + 2210 + 2 + 1631, s["inputTokens"]!.GetValue<long>());   // cache writes are priced as input
        Assert.Equal(14 + 412 + 287, s["outputTokens"]!.GetValue<long>());
        Assert.Equal(18240 + 20450, s["cachedInputTokens"]!.GetValue<long>());
        Assert.Equal(1, s["turns"]!.GetValue<int>());
        Assert.Equal("0.036855", s["marketCostUsd"]!.GetValue<string>());
        await AssertUsageAsync("alice", "0.029484", "0.036855", 1);
    }

    [Fact]
    public async Task Grpc_ClaudeCodeApiRequests_AreAccepted_AndTheSessionHasTheExactTokensAndCosts()
    {
        var session = Guid.NewGuid().ToString();
        // cost_usd_micros beside cost_usd, as Claude Code sends both since 2026-07: the exact micros win.
        Call[] calls =
        [
            new("claude-opus-5", 24817, 1024, 11902, 6, 0.144589, 144_585),
            new("claude-opus-5", 3405, 560, 25102, 3, 0.0198, 19_800),
        ];
        var exports = Export(OtlpExportProtocol.Grpc, new Uri($"http://127.0.0.1:{silo.GrpcPort}"), silo.IngestKey, session, "bob@acme.example", calls);
        AssertAllSucceeded(exports, records: 3);

        var s = await FoldedSessionAsync("bob", session, "0.131508");   // (0.144585 + 0.0198) × 0.8
        Assert.Equal("claude-opus-5", s["model"]!.GetValue<string>());
        Assert.Equal(24817 + 6 + 3405 + 3, s["inputTokens"]!.GetValue<long>());
        Assert.Equal(1024 + 560, s["outputTokens"]!.GetValue<long>());
        Assert.Equal(11902 + 25102, s["cachedInputTokens"]!.GetValue<long>());
        Assert.Equal("0.164385", s["marketCostUsd"]!.GetValue<string>());
        await AssertUsageAsync("bob", "0.131508", "0.164385", 1);
    }

    [Theory]
    [InlineData("http/protobuf", "carol")]
    [InlineData("grpc", "dave")]
    public async Task TheReadmesEnvironmentVariables_EndpointWithoutAPath_ReachTheSilo(string protocol, string person)
    {
        var session = Guid.NewGuid().ToString();
        ExportConfiguredBySettings(new()
        {
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = protocol,
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = protocol == "grpc" ? $"http://127.0.0.1:{silo.GrpcPort}" : silo.Http.GetLeftPart(UriPartial.Authority),
            ["OTEL_EXPORTER_OTLP_HEADERS"] = $"Authorization=Bearer {silo.IngestKey}",
        }, session, $"{person}@acme.example", [new("claude-sonnet-5", 1200, 340, 5000, 0, 0.01)]);
        var s = await FoldedSessionAsync(person, session, "0.008");
        Assert.Equal(1200, s["inputTokens"]!.GetValue<long>());
        Assert.Equal(340, s["outputTokens"]!.GetValue<long>());
        Assert.Equal(5000, s["cachedInputTokens"]!.GetValue<long>());
        Assert.Equal("0.01", s["marketCostUsd"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(OtlpExportProtocol.HttpProtobuf)]
    [InlineData(OtlpExportProtocol.Grpc)]
    public async Task AnUnknownKey_MakesTheExporterReportAFailure_AndNothingArrives(OtlpExportProtocol protocol)
    {
        var endpoint = protocol == OtlpExportProtocol.Grpc ? new Uri($"http://127.0.0.1:{silo.GrpcPort}") : new Uri(silo.Http, "v1/logs");
        var exports = Export(protocol, endpoint, "fsk_" + new string('A', 43), Guid.NewGuid().ToString(), "erin@acme.example",
            [new("claude-sonnet-5", 100, 10, 0, 0, 0.5)]);
        Assert.NotEmpty(exports);
        Assert.All(exports, e => Assert.Equal(ExportResult.Failure, e.Result));
        var sessions = await silo.AdminAsync("""{ sessions(filter: { personId: "erin" }) { totalCount } }""");
        Assert.Equal(0, sessions["sessions"]!["totalCount"]!.GetValue<int>());
    }
}
