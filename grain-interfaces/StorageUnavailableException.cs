namespace Flowstate;

/// <summary>
/// PostgreSQL could not be reached or shed the load. Carries the database's message across silo
/// boundaries (driver exceptions do not serialize); the command may be retried. GraphQL code
/// <c>STORAGE_UNAVAILABLE</c>.
/// </summary>
[GenerateSerializer, Alias("Flowstate.StorageUnavailableException")]
public sealed class StorageUnavailableException(string message) : Exception(message)
{
    /// <summary>What HTTP answers (503) ask clients to wait before they retry.</summary>
    public const string RetryAfterSeconds = "5";
}

/// <summary>
/// PostgreSQL refused a statement: a value it cannot hold (<c>INVALID_INPUT</c>) or anything else
/// (<c>INTERNAL</c>). Not retryable. Not a <see cref="FlowstateException"/>: it may strike after a
/// grain changed its state, so the grain drops its activation.
/// </summary>
[GenerateSerializer, Alias("Flowstate.StorageRejectedException")]
public sealed class StorageRejectedException(string code, string message) : Exception(message)
{
    [Id(0)] public string Code { get; } = code;
}

/// <summary>Turns a storage driver's exception (anywhere in a chain) into Flowstate's own; null when it is none.</summary>
public interface IStorageErrors
{
    Exception? Translate(Exception e);
}

/// <summary>
/// The silo sheds ingest load (too many appends in flight, or the fold too far behind): nothing of the
/// batch was taken; retry it after <see cref="RetryAfterSeconds"/>. HTTP 429 <c>OVERLOADED</c> with
/// Retry-After; OTLP/gRPC UNAVAILABLE (the status OTLP exporters retry).
/// </summary>
[GenerateSerializer, Alias("Flowstate.IngestOverloadedException")]
public sealed class IngestOverloadedException(string message) : Exception(message)
{
    /// <summary>What HTTP answers (429) ask clients to wait before they retry.</summary>
    public const string RetryAfterSeconds = "2";
}
