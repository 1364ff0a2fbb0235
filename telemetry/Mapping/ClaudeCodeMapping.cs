using System.Globalization;
using Flowstate.Ingestion;
using Flowstate.Telemetry.Otlp;

namespace Flowstate.Telemetry.Mapping;

/// <summary>Claude Code (FORMATS.md §1): api_request calls, prompts and tool results as turns, and the cost and token counters.</summary>
internal static class ClaudeCodeMapping
{
    public static AgentCall? FromEvent(TelemetryRecord r, string name)
    {
        var a = r.Attributes;
        switch (name)
        {
            case "claude_code.api_request":
            {
                var session = Records.Session(a, "session.id");
                // Cache reads are the cached input; cache writes are priced as input (Claude's input_tokens excludes both).
                var input = Records.Tokens(a, "input_tokens") + Records.Tokens(a, "cache_creation_tokens");
                var id = a.String("client_request_id") ?? a.String("request_id") ?? $"{session}#{Sequence(a)}";
                return Records.Call(r, session, "cc:" + id, a.String("model"), input, Records.Tokens(a, "output_tokens"),
                    Records.Tokens(a, "cache_read_tokens"), Records.Cost(a, "cost_usd_micros", "cost_usd"));
            }
            case "claude_code.user_prompt":
            case "claude_code.tool_result":
            {
                var session = Records.Session(a, "session.id");
                return Records.Turn(r, session, "cc:" + (a.String("tool_use_id") ?? a.String("message.uuid") ?? $"{session}#{Sequence(a)}"));
            }
            default: return null;
        }
    }

    private static string Sequence(AttributeSet a) =>
        (a.Long("event.sequence") ?? throw new FieldException("event.sequence", "is missing, and the record has no request id to tell it apart."))
        .ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// claude_code.token.usage and claude_code.cost.usage: each data point is one token type (or the
    /// cost) of one model over one window, so it becomes its own metric item; a window's items add up
    /// to the calls the events describe. Other metrics carry no usage.
    /// </summary>
    public static AgentCall? FromMetric(TelemetryRecord r)
    {
        if (r.Name is not ("claude_code.token.usage" or "claude_code.cost.usage")) return null;
        var a = r.Attributes;
        var session = Records.Session(a, "session.id");
        if (r.Value is not { } value || !double.IsFinite(value) || value < 0)
            throw new FieldException(r.Name, $"data point value '{r.Value}' is not a non-negative number.");
        var series = $"{r.Name}|{a.SeriesKey("")}|{r.StartTimeUnixNano}";
        var kind = r.Cumulative ? CallKind.MetricCumulative : CallKind.MetricDelta;
        var id = $"ccm:{Hash(series)}:{r.TimeUnixNano}";
        if (r.Name == "claude_code.cost.usage")
            return Records.Call(r, session, id, a.String("model"), 0, 0, 0, value > 100_000 ? throw new FieldException(r.Name, $"{value} USD is not a cost of calls.") : (decimal)value, kind, series);
        if (value > AgentMapper.MaxTokens) throw new FieldException(r.Name, $"{value} is more than {AgentMapper.MaxTokens:N0} tokens.");
        var tokens = (long)value;
        return a.String("type") switch
        {
            "input" or "cacheCreation" => Records.Call(r, session, id, a.String("model"), tokens, 0, 0, null, kind, series),
            "output" => Records.Call(r, session, id, a.String("model"), 0, tokens, 0, null, kind, series),
            "cacheRead" => Records.Call(r, session, id, a.String("model"), 0, 0, tokens, null, kind, series),
            var t => throw new FieldException("type", $"'{t}' is not a token type (input, output, cacheRead, cacheCreation)."),
        };
    }

    private static string Hash(string s) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(s)).AsSpan(0, 12));
}
