using Npgsql;

namespace Flowstate.Silo.Hosting;

/// <summary>
/// Applies the schema scripts in <c>Sql/</c> in name order. Every script is idempotent, and an
/// advisory lock keeps two migrators (a job and a developer) from interleaving. Run by the
/// <c>migrate</c> verb, never by silos at start.
/// </summary>
public static class SchemaMigrator
{
    private const long LockKey = 0x466C6F7773746174; // "Flowstat"

    public static IReadOnlyList<string> Scripts() =>
        Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Sql"), "*.sql").Order(StringComparer.Ordinal).ToList();

    public static async Task<IReadOnlyList<string>> ApplyAsync(string connectionString, CancellationToken ct = default)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync(ct);
        await using (var lockCmd = new NpgsqlCommand($"select pg_advisory_lock({LockKey})", conn)) await lockCmd.ExecuteNonQueryAsync(ct);
        try
        {
            var applied = new List<string>();
            foreach (var script in Scripts())
            {
                await using var tx = await conn.BeginTransactionAsync(ct);
                await using (var cmd = new NpgsqlCommand(await File.ReadAllTextAsync(script, ct), conn, tx)) await cmd.ExecuteNonQueryAsync(ct);
                await tx.CommitAsync(ct);
                applied.Add(Path.GetFileName(script));
            }
            return applied;
        }
        finally
        {
            await using var unlock = new NpgsqlCommand($"select pg_advisory_unlock({LockKey})", conn);
            await unlock.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    /// <summary>Creates the database named in the connection string when it does not exist yet.</summary>
    public static async Task EnsureDatabaseAsync(string connectionString, CancellationToken ct = default)
    {
        var target = new NpgsqlConnectionStringBuilder(connectionString);
        var name = target.Database ?? throw new InvalidOperationException("FLOWSTATE_DB names no database.");
        var admin = new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false };
        await using var conn = new NpgsqlConnection(admin.ConnectionString);
        await conn.OpenAsync(ct);
        await using var exists = new NpgsqlCommand("select 1 from pg_database where datname = $1", conn) { Parameters = { new() { Value = name } } };
        if (await exists.ExecuteScalarAsync(ct) is not null) return;
        await using var create = new NpgsqlCommand($"create database \"{name.Replace("\"", "\"\"")}\"", conn);
        await create.ExecuteNonQueryAsync(ct);
    }
}
