using Flowstate.Ingestion;
using Flowstate.Telemetry.Otlp;

namespace Flowstate.Telemetry.Mapping;

/// <summary>
/// Codex CLI (FORMATS.md §2): tokens arrive on codex.sse_event records of kind response.completed
/// (codex.api_request carries none); prompts and tool results are turns. The session is conversation.id.
/// </summary>
internal static class CodexMapping
{
    public static AgentCall? FromEvent(TelemetryRecord r, string name)
    {
        var a = r.Attributes;
        switch (name)
        {
            case "codex.sse_event" when a.String("event.kind") == "response.completed":
            {
                var session = Records.Session(a, "conversation.id");
                var input = Records.Tokens(a, "input_token_count");
                var cached = Records.Tokens(a, "cached_token_count");
                // OpenAI's input count includes the cached tokens; reasoning is part of the output count.
                if (cached > input) throw new FieldException("cached_token_count", $"{cached} is more than input_token_count {input}.");
                return Records.Call(r, session, $"codex:{session}#{Stamp(r)}", a.String("model") ?? a.String("slug"),
                    input - cached, Records.Tokens(a, "output_token_count"), cached, null);
            }
            case "codex.user_prompt":
            case "codex.tool_result":
            {
                var session = Records.Session(a, "conversation.id");
                return Records.Turn(r, session, "codex:" + (a.String("call_id") ?? $"{session}#{Stamp(r)}"), a.String("model"));
            }
            default: return null;
        }
    }

    /// <summary>What tells one Codex event from another of its conversation: its timestamp (Codex sends no request id).</summary>
    private static string Stamp(TelemetryRecord r) => r.Attributes.String("event.timestamp") ?? Records.Time(r).ToUnixTimeMilliseconds().ToString();
}
