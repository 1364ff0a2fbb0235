using Npgsql;

namespace Flowstate.Storage;

/// <summary>Turns driver exceptions into <see cref="StorageUnavailableException"/> so callers on any silo can see them.</summary>
public sealed class StorageExceptionFilter : IIncomingGrainCallFilter
{
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        try { await context.Invoke(); }
        catch (NpgsqlException e) { throw new StorageUnavailableException($"PostgreSQL: {e.Message}"); }
    }
}
