using Flowstate.Ingestion;
using Flowstate.Telemetry.Otlp;

namespace Flowstate.Telemetry.Mapping;

/// <summary>
/// Any span or event with the GenAI semantic conventions' usage (FORMATS.md §4): gen_ai.usage.input_tokens
/// includes cache reads and writes, so the cache reads are taken out as cached input. The session is
/// gen_ai.conversation.id (or session.id); the call is the response id, else the span.
/// </summary>
internal static class GenAiMapping
{
    public static AgentCall? FromRecord(TelemetryRecord r)
    {
        var a = r.Attributes;
        if (!a.Has("gen_ai.usage.input_tokens") && !a.Has("gen_ai.usage.output_tokens")
            && !a.Has("gen_ai.usage.prompt_tokens") && !a.Has("gen_ai.usage.completion_tokens")) return null;
        var session = Records.Session(a, "gen_ai.conversation.id", "session.id");
        var input = a.Has("gen_ai.usage.input_tokens") ? Records.Tokens(a, "gen_ai.usage.input_tokens") : Records.Tokens(a, "gen_ai.usage.prompt_tokens");
        var output = a.Has("gen_ai.usage.output_tokens") ? Records.Tokens(a, "gen_ai.usage.output_tokens") : Records.Tokens(a, "gen_ai.usage.completion_tokens");
        var cached = Records.Tokens(a, "gen_ai.usage.cache_read.input_tokens");
        if (cached > input) throw new FieldException("gen_ai.usage.cache_read.input_tokens", $"{cached} is more than gen_ai.usage.input_tokens {input}.");
        var id = a.String("gen_ai.response.id") ?? r.SpanId ?? $"{session}#{r.TimeUnixNano}";
        return Records.Call(r, session, "genai:" + id, a.String("gen_ai.response.model") ?? a.String("gen_ai.request.model"), input - cached, output, cached, null);
    }
}
