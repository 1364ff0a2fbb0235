using Flowstate.Ingestion;
using Flowstate.Telemetry.Otlp;

namespace Flowstate.Telemetry.Mapping;

/// <summary>Why one record of an export was not taken: its index, the field at fault and the problem.</summary>
public readonly record struct RecordRejection(int Index, string Field, string Message);

/// <summary>
/// Maps agents' OpenTelemetry records to <see cref="AgentCall"/>s (fixtures/telemetry/FORMATS.md):
/// Claude Code events and metrics, Codex CLI and Gemini CLI events, and any record carrying the GenAI
/// semantic conventions' usage. Records that carry nothing Flowstate counts (configuration events,
/// errors) are taken and ignored; a record with a malformed or impossible value is rejected, naming
/// the field, and the rest of the export is mapped.
/// </summary>
public static class AgentMapper
{
    /// <summary>More tokens than this in one call is not a real call (the largest context windows hold a few million).</summary>
    public const long MaxTokens = 50_000_000;

    private static readonly DateTimeOffset Earliest = new(2020, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Maps every record not already found malformed; the ingestion grain checks what needs the org (and the business clock).</summary>
    public static (List<AgentCall> Calls, List<RecordRejection> Rejections) Map(
        IEnumerable<TelemetryRecord> records, IReadOnlyDictionary<int, string> malformed)
    {
        var calls = new List<AgentCall>();
        var rejections = malformed.Select(m => new RecordRejection(m.Key, FieldOf(m.Value), m.Value)).ToList();
        foreach (var record in records)
        {
            if (malformed.ContainsKey(record.Index)) continue;
            try
            {
                if (MapOne(record) is not { } call) continue;
                Check(call);
                calls.Add(call);
            }
            catch (FieldException e) { rejections.Add(new RecordRejection(record.Index, e.Field, e.Message)); }
        }
        rejections.Sort((a, b) => a.Index.CompareTo(b.Index));
        return (calls, rejections);
    }

    private static AgentCall? MapOne(TelemetryRecord r) => r.Signal switch
    {
        OtlpSignal.Metric => ClaudeCodeMapping.FromMetric(r),
        _ => EventName(r) switch
        {
            { } name when name.StartsWith("claude_code.", StringComparison.Ordinal) => ClaudeCodeMapping.FromEvent(r, name),
            { } name when name.StartsWith("codex.", StringComparison.Ordinal) => CodexMapping.FromEvent(r, name),
            { } name when name.StartsWith("gemini_cli.", StringComparison.Ordinal) => GeminiCliMapping.FromEvent(r, name),
            _ => GenAiMapping.FromRecord(r),
        },
    };

    /// <summary>The record's event name: the eventName field, then a dotted event.name attribute, then a body naming a Claude Code event.</summary>
    public static string? EventName(TelemetryRecord r)
    {
        if (r.Signal == OtlpSignal.Span) return null;
        var attribute = r.Attributes.String("event.name");
        if (r.Name is { } field && field.Contains('.')) return field;
        if (attribute is not null && attribute.Contains('.')) return attribute;
        if (r.Body is { } body && body.StartsWith("claude_code.", StringComparison.Ordinal)) return body;
        // A bare name (Claude Code's event.name is "api_request") from a Claude Code process.
        var bare = r.Name ?? attribute;
        return bare is not null && r.Attributes.String("service.name") is { } service && service.StartsWith("claude-code", StringComparison.Ordinal)
            ? "claude_code." + bare : bare;
    }

    private static void Check(AgentCall call)
    {
        if (call.At < Earliest) throw new FieldException("timeUnixNano", $"{call.At:O} is before {Earliest:yyyy}; the record has no usable time.");
    }

    private static string FieldOf(string malformed) => malformed.IndexOf(':') is > 0 and var i ? malformed[..i] : "record";
}

/// <summary>What every agent's records share: sessions, subjects, working context, times and token counts.</summary>
internal static class Records
{
    /// <summary>Subject attributes, most specific first (FORMATS.md §6): a login email, an IdP or OTEL_RESOURCE_ATTRIBUTES identity, accounts, installs.</summary>
    private static readonly string[] SubjectKeys =
        ["user.email", "enduser.id", "user.account_uuid", "user.account_id", "user.id", "installation.id"];

    public static IReadOnlyList<string> Subjects(AttributeSet a)
    {
        var list = new List<string>(2);
        foreach (var key in SubjectKeys)
            if (a.String(key) is { } value && !list.Contains(value)) list.Add(value);
        return list;
    }

    public static string Session(AttributeSet a, params string[] keys)
    {
        foreach (var key in keys)
            if (a.String(key) is { } id) return id.Length <= GrainKeys.MaxIdLength ? id : throw new FieldException(key, $"is longer than {GrainKeys.MaxIdLength} characters.");
        throw new FieldException(keys[0], "is missing: a call must name its session.");
    }

    public static string Service(AttributeSet a) =>
        a.String("service.name") ?? throw new FieldException("service.name", "is missing: the resource must name the agent (service.name).");

    /// <summary>The working context the project is inferred from: a repository, else a working directory.</summary>
    public static SessionContext? Context(AttributeSet a)
    {
        var repo = a.String("vcs.repository.url.full") ?? a.String("repo") ?? a.String("repository");
        var path = a.String("workspace.host_paths") ?? a.String("cwd") ?? a.String("process.working_directory");
        return repo is null && path is null ? null : new SessionContext(repo, path, a.String("service.name"));
    }

    /// <summary>The record's time: its own, else the event.timestamp attribute, else when the SDK observed it.</summary>
    public static DateTimeOffset Time(TelemetryRecord r)
    {
        if (r.TimeUnixNano > 0) return FromNanos(r.TimeUnixNano);
        if (r.Attributes.String("event.timestamp") is { } iso)
            return DateTimeOffset.TryParse(iso, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var t)
                ? t.ToUniversalTime() : throw new FieldException("event.timestamp", $"'{iso}' is not an ISO 8601 time.");
        if (r.ObservedTimeUnixNano > 0) return FromNanos(r.ObservedTimeUnixNano);
        throw new FieldException("timeUnixNano", "is missing, and so are event.timestamp and observedTimeUnixNano.");
    }

    public static DateTimeOffset FromNanos(ulong nanos) =>
        nanos / 100 > (ulong)(DateTimeOffset.MaxValue.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks)
            ? throw new FieldException("timeUnixNano", "is beyond any real date.")
            : DateTimeOffset.UnixEpoch.AddTicks((long)(nanos / 100));

    /// <summary>A token count: absent is 0; negative or absurd is rejected, naming the attribute.</summary>
    public static long Tokens(AttributeSet a, string key) => a.Long(key) switch
    {
        null => 0,
        < 0 and var n => throw new FieldException(key, $"{n} is negative."),
        > AgentMapper.MaxTokens and var n => throw new FieldException(key, $"{n} is more than {AgentMapper.MaxTokens:N0} tokens for one call."),
        var n => n.Value,
    };

    /// <summary>An agent-reported cost (an estimate at list price): micro-dollars when sent (exact), else dollars.</summary>
    public static decimal? Cost(AttributeSet a, string microsKey, string usdKey)
    {
        var cost = a.Long(microsKey) is { } micros ? micros / 1_000_000m : a.Decimal(usdKey);
        return cost switch
        {
            < 0 => throw new FieldException(a.Has(microsKey) ? microsKey : usdKey, $"{cost} is negative."),
            > 100_000m => throw new FieldException(a.Has(microsKey) ? microsKey : usdKey, $"{cost} USD is not the cost of one call."),
            _ => cost,
        };
    }

    public static AgentCall Turn(TelemetryRecord r, string session, string id, string? model = null) =>
        new(r.Index, "turn:" + id, session, CallKind.Turn, Service(r.Attributes), Subjects(r.Attributes), model, Time(r), 0, 0, 0, null, Context(r.Attributes));

    /// <summary>A model call with normalised tokens (see <see cref="AgentCall"/>).</summary>
    public static AgentCall Call(TelemetryRecord r, string session, string id, string? model, long input, long output, long cached, decimal? cost,
        CallKind kind = CallKind.Call, string? series = null)
    {
        if (model is null) throw new FieldException("model", "is missing: a call must name its model.");
        return new(r.Index, id, session, kind, Service(r.Attributes), Subjects(r.Attributes), model, Time(r), input, output, cached, cost,
            Context(r.Attributes), series);
    }
}
