using System.Text.Json;
using System.Text.Json.Nodes;
using Flowstate.Tests.Infrastructure;

namespace Flowstate.Tests.Telemetry;

/// <summary>
/// Bad input at the receivers: a bad record is rejected with a reason naming its field and the rest
/// of the export lands; a body that is not OTLP is 400, an oversized one 413, another content type 415.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class TelemetryRejectionTests(FlowstateCluster cluster) : IAsyncLifetime
{
    private OtlpReceiver _receiver = null!;
    public async Task InitializeAsync() => _receiver = await OtlpReceiver.StartAsync(cluster);
    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    [Fact]
    public async Task BadRecords_AreRejectedNamingTheField_AndTheRestLands()
    {
        var org = await TelemetryOrg.CreateAsync(cluster);
        var doc = JsonNode.Parse(OtlpReceiver.Fixture("claude_code_logs.json"))!;
        var records = doc["resourceLogs"]![0]!["scopeLogs"]![0]!["logRecords"]!.AsArray();
        JsonNode Attr(int record, string key) => records[record]!["attributes"]!.AsArray().First(a => a!["key"]!.GetValue<string>() == key)!;
        void Remove(int record, string key) => records[record]!["attributes"]!.AsArray().Remove(Attr(record, key));

        Remove(0, "session.id");                                                           // no session id
        Attr(2, "input_tokens")["value"] = JsonNode.Parse("""{"intValue": -5}""");         // negative tokens
        Attr(4, "output_tokens")["value"] = JsonNode.Parse("""{"stringValue": "999999999999"}"""); // absurd tokens
        records[5]!["timeUnixNano"] = "1830000000000000000";                                // 2027-12: far in the future
        Attr(6, "cost_usd")["value"] = JsonNode.Parse("""{"doubleValue": {}}""");          // the Desktop bug: a malformed value
        // record 7 (Session B's last Opus call) is fine; record 1 (a prompt) and 3 (a tool result) are turns of session A.
        var mystery = JsonNode.Parse(doc["resourceLogs"]![0]!.ToJsonString())!;           // the same records from an unknown agent
        mystery["resource"]!["attributes"]!.AsArray().First(a => a!["key"]!.GetValue<string>() == "service.name")!["value"] =
            JsonNode.Parse("""{"stringValue": "mystery-agent"}""");
        mystery["scopeLogs"]![0]!["logRecords"]!.AsArray().RemoveAt(0);
        while (mystery["scopeLogs"]![0]!["logRecords"]!.AsArray().Count > 1) mystery["scopeLogs"]![0]!["logRecords"]!.AsArray().RemoveAt(1);
        doc["resourceLogs"]!.AsArray().Add(mystery);

        var response = await _receiver.ExportJsonAsync(org.Id, "logs", System.Text.Encoding.UTF8.GetBytes(doc.ToJsonString()));
        var partial = response.GetProperty("partialSuccess");
        Assert.Equal("6", partial.GetProperty("rejectedLogRecords").GetString());
        var message = partial.GetProperty("errorMessage").GetString()!;
        Assert.Contains("#0 session.id", message);
        Assert.Contains("#2 input_tokens: -5 is negative", message);
        Assert.Contains("#4 output_tokens: 999999999999 is more than", message);
        Assert.Contains("#5 INVALID_INPUT: timeUnixNano", message);
        Assert.Contains("#6 cost_usd: malformed doubleValue", message);
        Assert.Contains("#8 INVALID_INPUT: service.name 'mystery-agent'", message);

        // What was fine landed: session B's last call, and session A's turns wait for a call.
        var b = await TelemetryOrg.FoldedAsync(org, "c81d4e2f-6a9b-4d37-8e15-0f3a7b9c2d64", "0.028053");
        Assert.Equal(983, b.GetProperty("inputTokens").GetInt64());
        Assert.Null(await TelemetryOrg.SessionAsync(org, "5f2c8e1a-3b7d-4c19-9e60-2d4f8a1b7c3e"));
    }

    [Fact]
    public async Task TextStorageCannotHold_RejectsTheRecordNamingTheAttribute()
    {
        var org = await TelemetryOrg.CreateAsync(cluster);
        var doc = JsonNode.Parse(OtlpReceiver.Fixture("claude_code_logs.json"))!;
        var records = doc["resourceLogs"]![0]!["scopeLogs"]![0]!["logRecords"]!.AsArray();
        records[7]!["attributes"]!.AsArray().First(a => a!["key"]!.GetValue<string>() == "model")!["value"] =
            JsonNode.Parse("""{"stringValue": "claude-opus\u0000-4"}""");
        var response = await _receiver.ExportJsonAsync(org.Id, "logs", System.Text.Encoding.UTF8.GetBytes(doc.ToJsonString()));
        var partial = response.GetProperty("partialSuccess");
        Assert.Equal("1", partial.GetProperty("rejectedLogRecords").GetString());
        Assert.Contains("#7 model: has the control character U+0000", partial.GetProperty("errorMessage").GetString());
    }

    [Fact]
    public async Task ARecordWithNoSubject_IsRejected_UnlessTheIngestKeyHasOne()
    {
        var org = await TelemetryOrg.CreateAsync(cluster);
        var spans = OtlpReceiver.Fixture("genai_semconv_spans.json");
        var response = await _receiver.ExportJsonAsync(org.Id, "traces", spans);
        Assert.Equal("1", response.GetProperty("partialSuccess").GetProperty("rejectedSpans").GetString());
        Assert.Contains("user.email: the record names no subject", response.GetProperty("partialSuccess").GetProperty("errorMessage").GetString());
        Assert.Equal("{}", (await _receiver.ExportJsonAsync(org.Id, "traces", spans, keySubject: "alice@acme.example")).GetRawText());
        var s = await TelemetryOrg.FoldedAsync(org, "conv_Xample5j66UpCpwteG", "0.01617");
        Assert.Equal("alice", s.GetProperty("person").GetProperty("id").GetString());
    }

    [Fact]
    public async Task TheProject_IsInferredFromTheRepositoryTheRecordsCarry()
    {
        var org = await TelemetryOrg.CreateAsync(cluster);
        var doc = JsonNode.Parse(OtlpReceiver.Fixture("codex_logs.json"))!;
        doc["resourceLogs"]![0]!["resource"]!["attributes"]!.AsArray()
            .Add(JsonNode.Parse("""{"key": "repo", "value": {"stringValue": "git@github.com:acme/payments.git"}}"""));
        await _receiver.ExportJsonAsync(org.Id, "logs", System.Text.Encoding.UTF8.GetBytes(doc.ToJsonString()));
        var s = await TelemetryOrg.FoldedAsync(org, "019a8f3e-7c41-7b20-9d5e-4f1a2c6b8e03", "0.020198");
        Assert.Equal("payments", s.GetProperty("project").GetProperty("id").GetString());
    }

    [Fact]
    public async Task ABodyThatIsNotOtlp_Is400_AnOversizedOne413_AnotherContentType415()
    {
        var org = await TelemetryOrg.CreateAsync(cluster);
        var (status, body, _) = await _receiver.PostAsync(org.Id, "logs", "not json"u8.ToArray());
        Assert.Equal(400, status);
        Assert.Contains("not JSON", JsonDocument.Parse(body).RootElement.GetProperty("message").GetString());
        Assert.Equal(400, (await _receiver.PostAsync(org.Id, "logs", """{"resourceLogs": 3}"""u8.ToArray())).Status);
        Assert.Equal(400, (await _receiver.PostAsync(org.Id, "logs", [0xFF, 0xFF, 0xFF], "application/x-protobuf")).Status);

        var large = new byte[OtlpReceiver.MaxBodyBytes + 1];
        Array.Fill(large, (byte)' ');
        Assert.Equal(413, (await _receiver.PostAsync(org.Id, "logs", large)).Status);
        Assert.Equal(413, (await _receiver.PostAsync(org.Id, "logs", large, gzip: true)).Status);   // small on the wire, too large unpacked
        Assert.Equal(415, (await _receiver.PostAsync(org.Id, "logs", "{}"u8.ToArray(), "text/plain")).Status);
        Assert.Equal("{}", (await _receiver.ExportJsonAsync(org.Id, "logs", """{"resourceLogs": []}"""u8.ToArray())).GetRawText());
    }
}
