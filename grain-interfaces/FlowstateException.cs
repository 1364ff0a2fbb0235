namespace Flowstate;

/// <summary>Stable error codes surfaced to clients as GraphQL <c>extensions.code</c>.</summary>
public static class ErrorCodes
{
    public const string InvalidInput = "INVALID_INPUT";
    public const string NotFound = "NOT_FOUND";
    public const string NoteRequired = "NOTE_REQUIRED";
    public const string InvalidTransition = "INVALID_TRANSITION";
    public const string VersionConflict = "VERSION_CONFLICT";
    public const string Unauthenticated = "UNAUTHENTICATED";
    public const string Forbidden = "FORBIDDEN";
    public const string StorageUnavailable = "STORAGE_UNAVAILABLE";

    /// <summary>A silo died, left or timed out during the call: retry it (HTTP 503 with Retry-After).</summary>
    public const string Unavailable = "UNAVAILABLE";
    public const string Internal = "INTERNAL";

    /// <summary>The caller sent more than its rate limit allows: HTTP 429, retry after the Retry-After header's seconds.</summary>
    public const string RateLimited = "RATE_LIMITED";

    /// <summary>A query ran past the execution deadline (Flowstate:GraphQL:QueryTimeout) and was cancelled; mutations are never cut off.</summary>
    public const string Timeout = "TIMEOUT";

    /// <summary>The silo sheds ingest load (appends in flight or fold lag at their bound): HTTP 429, retry after Retry-After; nothing was taken.</summary>
    public const string Overloaded = "OVERLOADED";

    /// <summary>Every code above: the only ones a client may see.</summary>
    public static readonly IReadOnlySet<string> All = typeof(ErrorCodes).GetFields()
        .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToHashSet(StringComparer.Ordinal);
}

/// <summary>
/// A broken business rule. Thrown by grains, crosses silo boundaries, and is mapped by the
/// GraphQL layer to an error carrying <see cref="Code"/>. A grain throws it before changing
/// any state, so a failed command changes nothing.
/// </summary>
[GenerateSerializer, Alias("Flowstate.FlowstateException")]
public sealed class FlowstateException : Exception
{
    public FlowstateException(string code, string message) : base(message) => Code = code;

    [Id(0)] public string Code { get; }

    public static FlowstateException InvalidInput(string message) => new(ErrorCodes.InvalidInput, message);
    public static FlowstateException NotFound(string message) => new(ErrorCodes.NotFound, message);
}
