using System.Text.Json;
using Flowstate.Telemetry.Otlp;
using Flowstate.Tests.Infrastructure;
using Google.Protobuf;

namespace Flowstate.Tests.Telemetry;

/// <summary>
/// Every fixture of fixtures/telemetry through the real /v1 receivers: the sessions, their calls'
/// tokens, costs, turns and subjects come out exactly as FORMATS.md and DESIGN §9 say, and sending
/// every export again changes nothing.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class TelemetryFixtureTests(FlowstateCluster cluster) : IAsyncLifetime
{
    private const string ClaudeA = "5f2c8e1a-3b7d-4c19-9e60-2d4f8a1b7c3e", ClaudeB = "c81d4e2f-6a9b-4d37-8e15-0f3a7b9c2d64";
    private const string Codex = "019a8f3e-7c41-7b20-9d5e-4f1a2c6b8e03", Gemini = "d3f8a2c6-1b7e-4d94-a05c-8e2f6b1d9c47";
    private const string GenAi = "conv_Xample5j66UpCpwteG";

    private OtlpReceiver _receiver = null!;
    public async Task InitializeAsync() => _receiver = await OtlpReceiver.StartAsync(cluster);
    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    private static readonly (string Signal, string File)[] Exports =
    [
        ("logs", "claude_code_logs.json"), ("logs", "codex_logs.json"), ("logs", "gemini_cli_logs.json"), ("traces", "genai_semconv_spans.json"),
    ];

    [Fact]
    public async Task EveryFixture_IngestedOnce_GivesTheExpectedSessions_AndReSendingChangesNothing()
    {
        var org = await TelemetryOrg.CreateAsync(cluster);
        foreach (var (signal, file) in Exports)
        {
            var response = await _receiver.ExportJsonAsync(org.Id, signal, OtlpReceiver.Fixture(file), keySubject: "bob@acme.example");
            Assert.False(response.TryGetProperty("partialSuccess", out _), $"{file}: {response}");
        }
        await AssertFixtureSessionsAsync(org);
        var log = await cluster.Database.ScalarAsync<long>("select count(*) from ingest_log where org = $1", org.Id);
        Assert.Equal(15, log);   // 8 Claude (6 calls, 2 turns) + 3 Codex (1 call, 2 turns) + 3 Gemini (1, 2) + 1 span

        foreach (var (signal, file) in Exports)
            Assert.Equal("{}", (await _receiver.ExportJsonAsync(org.Id, signal, OtlpReceiver.Fixture(file), keySubject: "bob@acme.example")).GetRawText());
        Assert.Equal(log, await cluster.Database.ScalarAsync<long>("select count(*) from ingest_log where org = $1", org.Id));
        await AssertFixtureSessionsAsync(org);
    }

    private static async Task AssertFixtureSessionsAsync(TestOrg org)
    {
        // Claude Code: no price list, so each call's cost_usd (an estimate at list price) is the market
        // cost and the org rate takes the 20% discount, call by call. Cache writes are priced as input.
        var a = await TelemetryOrg.FoldedAsync(org, ClaudeA, "0.029998");
        AssertSession(a, "claude", "claude-sonnet-5", "2026-11-17T09:14:01.902Z", 912 + 4 + 2210 + 2 + 1631, 14 + 412 + 287, 18240 + 20450, turns: 2,
            market: "0.037496", person: "alice");
        var b = await TelemetryOrg.FoldedAsync(org, ClaudeB, "0.19244");
        AssertSession(b, "claude", "claude-opus-5", "2026-11-17T10:02:52.406Z", 6 + 24817 + 3 + 3405 + 3 + 980, 1024 + 560 + 655, 11902 + 25102, turns: 0,
            market: "0.24055", person: "alice");
        // Codex: input_token_count includes the cached tokens; priced from tokens.
        var codex = await TelemetryOrg.FoldedAsync(org, Codex, "0.020198");
        AssertSession(codex, "codex", "gpt-5.2-codex", "2026-11-18T14:20:11.542Z", 24518 - 19840, 1187, 19840, turns: 2, market: "0.020198", person: "alice");
        // Gemini: the prompt count includes cached content; thoughts are output.
        var gemini = await TelemetryOrg.FoldedAsync(org, Gemini, "0.035567");
        AssertSession(gemini, "gemini", "gemini-2.5-pro", "2026-11-19T16:45:10.031Z", 18342 - 12288, 903 + 1516, 12288, turns: 2, market: "0.035567", person: "alice");
        // GenAI span: input_tokens includes cache reads and writes; the record names no subject, so the ingest key's is used.
        var genai = await TelemetryOrg.FoldedAsync(org, GenAi, "0.01617");
        AssertSession(genai, "reviewbot", "claude-sonnet-5", "2026-11-20T11:05:42.25Z", 19840 - 18000, 350, 18000, turns: 0, market: "0.01617", person: "bob");

        var expected = 0.037496m + 0.24055m + 0.020198m + 0.035567m + 0.01617m;
        await FlowstateCluster.EventuallyAsync(async () => await TelemetryOrg.MarketTotalAsync(org) == expected, $"attribution's market total {expected}");
    }

    private static void AssertSession(JsonElement s, string provider, string model, string startedAt, long input, long output, long cached, int turns,
        string market, string person)
    {
        Assert.Equal(provider, s.GetProperty("providerId").GetString());
        Assert.Equal(model, s.GetProperty("model").GetString());
        Assert.Equal(DateTimeOffset.Parse(startedAt), DateTimeOffset.Parse(s.GetProperty("startedAt").GetString()!));
        Assert.Equal(input, s.GetProperty("inputTokens").GetInt64());
        Assert.Equal(output, s.GetProperty("outputTokens").GetInt64());
        Assert.Equal(cached, s.GetProperty("cachedInputTokens").GetInt64());
        Assert.Equal(turns, s.GetProperty("turns").GetInt32());
        Assert.Equal(market, s.GetProperty("marketCostUsd").GetString());
        Assert.Equal(person, s.GetProperty("person").GetProperty("id").GetString());
    }

    [Fact]
    public async Task ClaudeCodeMetrics_CountOnlyForSessionsWithoutEvents()
    {
        // Metrics alone: session A from its delta counters (the same calls the events describe).
        var metricsOnly = await TelemetryOrg.CreateAsync(cluster);
        await _receiver.ExportJsonAsync(metricsOnly.Id, "metrics", OtlpReceiver.Fixture("claude_code_metrics.json"));
        var a = await TelemetryOrg.FoldedAsync(metricsOnly, ClaudeA, "0.029997");   // 0.000786 + 0.029211: the cost rounded per model, not per call
        Assert.Equal(4759, a.GetProperty("inputTokens").GetInt64());
        Assert.Equal(713, a.GetProperty("outputTokens").GetInt64());
        Assert.Equal(38690, a.GetProperty("cachedInputTokens").GetInt64());
        Assert.Equal("0.037496", a.GetProperty("marketCostUsd").GetString());
        Assert.Equal("claude-sonnet-5", a.GetProperty("model").GetString());

        // Metrics and events of the same session: the events count, the metrics do not (nothing twice).
        var both = await TelemetryOrg.CreateAsync(cluster);
        await _receiver.ExportJsonAsync(both.Id, "metrics", OtlpReceiver.Fixture("claude_code_metrics.json"));
        await _receiver.ExportJsonAsync(both.Id, "logs", OtlpReceiver.Fixture("claude_code_logs.json"));
        var fromEvents = await TelemetryOrg.FoldedAsync(both, ClaudeA, "0.029998");
        Assert.Equal("0.037496", fromEvents.GetProperty("marketCostUsd").GetString());
        Assert.Equal(4759, fromEvents.GetProperty("inputTokens").GetInt64());
    }

    [Fact]
    public async Task Protobuf_AndGzip_GiveTheSameSessionsAsJson()
    {
        var org = await TelemetryOrg.CreateAsync(cluster);
        var (logs, malformed) = OtlpJsonReader.ReadLogs(OtlpReceiver.Fixture("claude_code_logs.json"));
        Assert.Empty(malformed);
        var (status, body, response) = await _receiver.PostAsync(org.Id, "logs", logs.ToByteArray(), "application/x-protobuf", gzip: true);
        Assert.Equal(200, status);
        Assert.Equal("application/x-protobuf", response.Content.Headers.ContentType?.MediaType);
        Assert.Null(ExportLogsServiceResponse.Parser.ParseFrom(await response.Content.ReadAsByteArrayAsync()).PartialSuccess);
        var (codex, _) = OtlpJsonReader.ReadLogs(OtlpReceiver.Fixture("codex_logs.json"));
        Assert.Equal(200, (await _receiver.PostAsync(org.Id, "logs", codex.ToByteArray(), "application/x-protobuf")).Status);
        Assert.Equal(200, (await _receiver.PostAsync(org.Id, "logs", OtlpReceiver.Fixture("gemini_cli_logs.json"), gzip: true)).Status);

        await TelemetryOrg.FoldedAsync(org, ClaudeA, "0.029998");
        await TelemetryOrg.FoldedAsync(org, ClaudeB, "0.19244");
        await TelemetryOrg.FoldedAsync(org, Codex, "0.020198");
        await TelemetryOrg.FoldedAsync(org, Gemini, "0.035567");
        Assert.Empty(body);
    }

    [Fact]
    public async Task ASessionGrows_AsItsCallsArrive()
    {
        var org = await TelemetryOrg.CreateAsync(cluster);
        var doc = JsonDocument.Parse(OtlpReceiver.Fixture("claude_code_logs.json")).RootElement;
        var records = doc.GetProperty("resourceLogs")[0].GetProperty("scopeLogs")[0].GetProperty("logRecords").EnumerateArray().ToList();
        // Session B's calls one export at a time: its sums grow, and each call counts once.
        var costs = new[] { "0.144589", "0.164387", "0.19244" };
        for (var i = 0; i < 3; i++)
        {
            await _receiver.ExportJsonAsync(org.Id, "logs", Export(doc, records[5 + i]));
            await TelemetryOrg.FoldedAsync(org, ClaudeB, costs[i]);
        }
        await _receiver.ExportJsonAsync(org.Id, "logs", Export(doc, records[6]));   // a re-sent call
        Assert.Equal("0.19244", (await TelemetryOrg.SessionAsync(org, ClaudeB))!.Value.GetProperty("costUsd").GetString());
        await FlowstateCluster.EventuallyAsync(async () => await TelemetryOrg.MarketTotalAsync(org) == 0.24055m, "attribution follows the grown session");
    }

    /// <summary>The fixture's envelope with only the given log records.</summary>
    internal static byte[] Export(JsonElement fixture, params JsonElement[] records)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(fixture.GetRawText())!;
        var list = node["resourceLogs"]![0]!["scopeLogs"]![0]!["logRecords"]!.AsArray();
        list.Clear();
        foreach (var r in records) list.Add(System.Text.Json.Nodes.JsonNode.Parse(r.GetRawText()));
        return System.Text.Encoding.UTF8.GetBytes(node.ToJsonString());
    }
}
