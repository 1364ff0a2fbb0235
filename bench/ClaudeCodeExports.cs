using Flowstate.Telemetry.Otlp;
using Google.Protobuf;

namespace Flowstate.Bench;

/// <summary>
/// Synthetic OTLP log exports as Claude Code sends them (service.name claude-code, one
/// <c>claude_code.api_request</c> record per model call, with its request id, tokens and cost), for the
/// ingest bench and the flood tests. Call <c>n</c> of an export is deterministic, so sending one twice is a re-send.
/// </summary>
public static class ClaudeCodeExports
{
    /// <summary>An export of <paramref name="records"/> calls, numbered from <paramref name="first"/>, over <paramref name="people"/> people (p0@bench.example …), 10 calls per session.</summary>
    public static ExportLogsServiceRequest Logs(long first, int records, int people, DateTimeOffset day0, string model = "m")
    {
        var scope = new ScopeLogs { Scope = new InstrumentationScope { Name = "com.anthropic.claude_code.events", Version = "2.1.262" } };
        for (var n = first; n < first + records; n++)
        {
            var session = n / 10;
            var at = day0.AddSeconds(n % (30L * 24 * 3600));
            var nanos = (ulong)at.ToUnixTimeMilliseconds() * 1_000_000UL;
            var record = new LogRecord { TimeUnixNano = nanos, ObservedTimeUnixNano = nanos, Body = new AnyValue { StringValue = "claude_code.api_request" } };
            record.Attributes.Add(Str("session.id", $"bench-session-{session}"));
            record.Attributes.Add(Str("user.email", $"p{session % people}@bench.example"));
            record.Attributes.Add(Str("event.name", "api_request"));
            record.Attributes.Add(Str("event.timestamp", at.ToString("O")));
            record.Attributes.Add(Int("event.sequence", n % 10));
            record.Attributes.Add(Str("model", model));
            record.Attributes.Add(Int("input_tokens", 1000 + n % 500));
            record.Attributes.Add(Int("output_tokens", 200));
            record.Attributes.Add(Int("cache_read_tokens", 0));
            record.Attributes.Add(Int("cache_creation_tokens", 0));
            record.Attributes.Add(Str("request_id", $"req_bench_{n}"));
            scope.LogRecords.Add(record);
        }
        var resource = new ResourceLogs { Resource = new Resource() };
        resource.Resource.Attributes.Add(Str("service.name", "claude-code"));
        resource.ScopeLogs.Add(scope);
        var request = new ExportLogsServiceRequest();
        request.ResourceLogs.Add(resource);
        return request;
    }

    private static KeyValue Str(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };
    private static KeyValue Int(string key, long value) => new() { Key = key, Value = new AnyValue { IntValue = value } };

    public static byte[] Bytes(this IMessage message) => message.ToByteArray();
}
