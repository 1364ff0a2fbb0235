using Flowstate.Ingestion;
using Flowstate.Telemetry.Otlp;

namespace Flowstate.Telemetry.Mapping;

/// <summary>
/// Gemini CLI (FORMATS.md §3): gemini_cli.api_response carries a call's tokens; prompts and tool calls
/// are turns. input_token_count is the prompt count, which includes cached content; thoughts are
/// billed as output and tool-use prompts as input.
/// </summary>
internal static class GeminiCliMapping
{
    public static AgentCall? FromEvent(TelemetryRecord r, string name)
    {
        var a = r.Attributes;
        switch (name)
        {
            case "gemini_cli.api_response":
            {
                var session = Records.Session(a, "session.id");
                var input = Records.Tokens(a, "input_token_count") + Records.Tokens(a, "tool_token_count");
                var cached = Records.Tokens(a, "cached_content_token_count");
                if (cached > input) throw new FieldException("cached_content_token_count", $"{cached} is more than input_token_count {input}.");
                var output = Records.Tokens(a, "output_token_count") + Records.Tokens(a, "thoughts_token_count");
                return Records.Call(r, session, $"gemini:{session}#{a.String("prompt_id")}#{Stamp(r)}", a.String("model"), input - cached, output, cached, null);
            }
            case "gemini_cli.user_prompt":
            case "gemini_cli.tool_call":
            {
                var session = Records.Session(a, "session.id");
                return Records.Turn(r, session, $"gemini:{name}#{a.String("prompt_id")}#{Stamp(r)}");
            }
            default: return null;
        }
    }

    private static string Stamp(TelemetryRecord r) => r.Attributes.String("event.timestamp") ?? Records.Time(r).ToUnixTimeMilliseconds().ToString();
}
