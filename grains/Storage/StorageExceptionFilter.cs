using Npgsql;

namespace Flowstate.Storage;

/// <summary>
/// Turns driver exceptions (thrown directly, or wrapped by Orleans' storage) into exceptions every
/// silo and client can read: <see cref="StorageUnavailableException"/> when PostgreSQL could not be
/// reached or shed the load (retryable), <see cref="StorageRejectedException"/> when it refused the
/// statement itself (a retry would fail the same way).
/// </summary>
public sealed class StorageExceptionFilter : IIncomingGrainCallFilter, IStorageErrors
{
    Exception? IStorageErrors.Translate(Exception e) => TranslateAny(e);

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        try { await context.Invoke(); }
        catch (Exception e) when (Driver(e) is { } db) { throw Translate(db); }
    }

    /// <summary>The translation of a driver error anywhere in <paramref name="e"/>'s chain; null when there is none.</summary>
    public static Exception? TranslateAny(Exception e) => Driver(e) is { } db ? Translate(db) : null;

    public static Exception Translate(NpgsqlException e) => e switch
    {
        { IsTransient: true } => new StorageUnavailableException($"PostgreSQL is unavailable: {e.Message}"),
        // Class 53 (out of connections, memory, disk), 57 (shutting down, cancelled), 08 (connection), 40 (deadlock, serialization).
        PostgresException p when p.SqlState[..2] is "53" or "57" or "08" or "40" => new StorageUnavailableException($"PostgreSQL is unavailable: {p.MessageText}"),
        // Class 22 (data exception: a value storage cannot hold) and 23 (constraint): the input, not the system.
        PostgresException p when p.SqlState[..2] is "22" or "23" => new StorageRejectedException(ErrorCodes.InvalidInput, $"Storage refused a value ({p.SqlState}): {p.MessageText}"),
        PostgresException p => new StorageRejectedException(ErrorCodes.Internal, $"Storage refused the statement ({p.SqlState})."),
        _ => new StorageUnavailableException($"PostgreSQL: {e.Message}"),
    };

    private static NpgsqlException? Driver(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
            if (e is NpgsqlException db) return db;
        return null;
    }
}
