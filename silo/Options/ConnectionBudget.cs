using Npgsql;

namespace Flowstate.Silo.Options;

/// <summary>
/// A silo's PostgreSQL connections, at most <see cref="Total"/> in all. Npgsql keeps one pool per
/// connection string (Orleans' ADO.NET providers) and one per data source (the read models, the
/// journal, the ingest log), so the budget is split between the two: Orleans' storage, reminders
/// and membership get <see cref="Orleans"/> (of which the batched grain storage's statements get
/// <see cref="BatchedGrainState"/>), Flowstate's own stores <see cref="ReadModels"/>. A
/// pool size in the connection string is replaced by the budget's. A
/// caller who finds its pool in use waits up to the wait time, then gets STORAGE_UNAVAILABLE
/// (Npgsql's pool-exhausted error is transient); nothing fails for good.
/// <para>
/// Orleans' pool prepares its statements (Npgsql automatic preparation): Orleans sends the same few texts for every
/// grain read and write (the storage upsert is a CTE whose planning cost more than its execution), each a point
/// lookup by key, so a prepared generic plan is the plan. The stores' pool does not: its reads are built per query
/// (sorts, filters, scopes), where PostgreSQL's plan for the actual values matters.
/// </para>
/// </summary>
public sealed record ConnectionBudget(int Total, string Orleans, string ReadModels, string BatchedGrainState)
{
    /// <summary>Statements kept prepared per Orleans connection: its storage, reminder and membership queries.</summary>
    public const int OrleansPrepared = 32;

    public static ConnectionBudget Of(string connectionString, int maxConnections, int waitSeconds)
    {
        var given = new NpgsqlConnectionStringBuilder(connectionString);
        var total = maxConnections;
        var orleans = (total + 1) / 2;
        // Named, so pg_stat_activity tells whose connections they are.
        string With(int max, string name, bool prepare) => new NpgsqlConnectionStringBuilder(connectionString)
        {
            MaxPoolSize = max, MinPoolSize = 0, Timeout = waitSeconds, ApplicationName = given.ApplicationName ?? name,
            MaxAutoPrepare = prepare ? OrleansPrepared : given.MaxAutoPrepare, AutoPrepareMinUsages = prepare ? 2 : given.AutoPrepareMinUsages,
        }.ConnectionString;
        // Of Orleans' share, the batched grain storage's own: one read and one write statement in flight (one when the share is small).
        var batched = orleans >= 3 ? 2 : 1;
        return new ConnectionBudget(total, With(orleans - batched, "flowstate-orleans", prepare: true), With(total - orleans, "flowstate-stores", prepare: false),
            With(batched, "flowstate-orleans", prepare: false));
    }
}
