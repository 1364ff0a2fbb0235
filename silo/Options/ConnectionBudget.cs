using Npgsql;

namespace Flowstate.Silo.Options;

/// <summary>
/// A silo's PostgreSQL connections, at most <see cref="Total"/> in all. Npgsql keeps one pool per
/// connection string (Orleans' ADO.NET providers) and one per data source (the read models, the
/// journal, the ingest log), so the budget is split between the two: Orleans' storage, reminders
/// and membership get <see cref="Orleans"/>, Flowstate's own stores <see cref="ReadModels"/>. A
/// pool size in the connection string is replaced by the budget's. A
/// caller who finds its pool in use waits up to the wait time, then gets STORAGE_UNAVAILABLE
/// (Npgsql's pool-exhausted error is transient); nothing fails for good.
/// </summary>
public sealed record ConnectionBudget(int Total, string Orleans, string ReadModels)
{
    public static ConnectionBudget Of(string connectionString, int maxConnections, int waitSeconds)
    {
        var given = new NpgsqlConnectionStringBuilder(connectionString);
        var total = maxConnections;
        var orleans = (total + 1) / 2;
        // Named, so pg_stat_activity tells whose connections they are.
        string With(int max, string name) => new NpgsqlConnectionStringBuilder(connectionString)
            { MaxPoolSize = max, MinPoolSize = 0, Timeout = waitSeconds, ApplicationName = given.ApplicationName ?? name }.ConnectionString;
        return new ConnectionBudget(total, With(orleans, "flowstate-orleans"), With(total - orleans, "flowstate-stores"));
    }
}
