using System.Text;
using Flowstate.Ingestion;
using Flowstate.Telemetry.Mapping;
using Flowstate.Telemetry.Otlp;

namespace Flowstate.Tests.Unit;

/// <summary>OTLP/JSON decoding (exact 64-bit numbers, per-record isolation) and the mapping's field rules, without a cluster.</summary>
public sealed class OtlpDecodingTests
{
    private static string Record(string attributes, string time = "\"1794906841902000000\"") => $$$"""
        {"resourceLogs": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "claude-code"}}]},
          "scopeLogs": [{"logRecords": [{"timeUnixNano": {{{time}}}, "body": {"stringValue": "claude_code.api_request"},
            "attributes": [{{{attributes}}}]}]}]}]}
        """;

    private const string Call = """
        {"key": "session.id", "value": {"stringValue": "s1"}}, {"key": "event.name", "value": {"stringValue": "api_request"}},
        {"key": "event.sequence", "value": {"intValue": "7"}}, {"key": "model", "value": {"stringValue": "claude-sonnet-5"}},
        {"key": "user.email", "value": {"stringValue": "a@x.example"}}
        """;

    private static (List<AgentCall> Calls, List<RecordRejection> Rejections) Map(string json)
    {
        var (request, malformed) = OtlpJsonReader.ReadLogs(Encoding.UTF8.GetBytes(json));
        return AgentMapper.Map(OtlpRecords.Of(request), malformed);
    }

    [Fact]
    public void Times_AsNumbers_AreReadExactly_NotThroughDouble()
    {
        var (calls, _) = Map(Record(Call, time: "1794906841902000001"));
        Assert.Equal(DateTimeOffset.UnixEpoch.AddTicks(17949068419020000), Assert.Single(calls).At);
        var (request, _) = OtlpJsonReader.ReadLogs(Encoding.UTF8.GetBytes(Record(Call, time: "1794906841902000001")));
        Assert.Equal(1794906841902000001UL, request.ResourceLogs[0].ScopeLogs[0].LogRecords[0].TimeUnixNano);
    }

    [Theory]
    [InlineData("""{"intValue": 120}""")]
    [InlineData("""{"intValue": "120"}""")]
    [InlineData("""{"stringValue": "120"}""")]
    [InlineData("""{"doubleValue": 120.0}""")]
    public void TokenCounts_InEveryEncodingAgentsUse_AreTaken(string value)
    {
        var (calls, rejections) = Map(Record(Call + $$""", {"key": "output_tokens", "value": {{value}}}"""));
        Assert.Empty(rejections);
        Assert.Equal(120, Assert.Single(calls).OutputTokens);
    }

    [Theory]
    [InlineData("""{"stringValue": "many"}""", "output_tokens")]
    [InlineData("""{"doubleValue": 1.5}""", "output_tokens")]
    [InlineData("""{"intValue": -1}""", "output_tokens")]
    [InlineData("""{"doubleValue": {}}""", "output_tokens")]
    [InlineData("""{"intValue": 1e400}""", "output_tokens")]
    public void AMalformedValue_RejectsTheRecord_NamingTheField(string value, string field)
    {
        var (calls, rejections) = Map(Record(Call + $$""", {"key": "output_tokens", "value": {{value}}}"""));
        Assert.Empty(calls);
        Assert.Equal(field, Assert.Single(rejections).Field);
    }

    [Fact]
    public void CostInMicros_IsPreferred_ForItsExactness()
    {
        var (calls, _) = Map(Record(Call + """, {"key": "cost_usd", "value": {"doubleValue": 0.1}}, {"key": "cost_usd_micros", "value": {"intValue": 100001}}"""));
        Assert.Equal(0.100001m, Assert.Single(calls).ReportedCostUsd);
    }

    [Fact]
    public void ACallWithoutRequestIds_IsKeyedBySessionAndSequence_SoAReSendMapsToTheSameId()
    {
        var first = Assert.Single(Map(Record(Call)).Calls);
        var again = Assert.Single(Map(Record(Call)).Calls);
        Assert.Equal("cc:s1#7", first.CallId);
        Assert.Equal(first.CallId, again.CallId);
        Assert.Equal(["a@x.example"], first.Subjects);
    }

    [Fact]
    public void ResourceAttributes_AreRead_AndTheRecordsOwnWin()
    {
        var json = Record(Call.Replace("""{"key": "user.email", "value": {"stringValue": "a@x.example"}}""", """{"key": "enduser.id", "value": {"stringValue": "rec"}}"""))
            .Replace("""{"key": "service.name", "value": {"stringValue": "claude-code"}}""",
                     """{"key": "service.name", "value": {"stringValue": "claude-code"}}, {"key": "enduser.id", "value": {"stringValue": "res"}}, {"key": "user.email", "value": {"stringValue": "r@x.example"}}""");
        var call = Assert.Single(Map(json).Calls);
        Assert.Equal(["r@x.example", "rec"], call.Subjects);   // the resource's email (OTEL_RESOURCE_ATTRIBUTES), then the record's own enduser.id over the resource's
    }

    [Fact]
    public void ABodyThatIsNotAnExportRequest_IsNotOtlp()
    {
        Assert.Throws<OtlpJsonReader.NotOtlpException>(() => OtlpJsonReader.ReadLogs("[1, 2]"u8.ToArray()));
        Assert.Throws<OtlpJsonReader.NotOtlpException>(() => OtlpJsonReader.ReadLogs("""{"resourceLogs": [3]}"""u8.ToArray()));
        Assert.Throws<OtlpJsonReader.NotOtlpException>(() => OtlpJsonReader.ReadLogs("{"u8.ToArray()));
    }
}
