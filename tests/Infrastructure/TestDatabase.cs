using Flowstate.Silo.Hosting;
using Npgsql;

namespace Flowstate.Tests.Infrastructure;

/// <summary>
/// A fresh, migrated PostgreSQL database per fixture, on the server in FLOWSTATE_TEST_DB
/// (set by <c>./flowstate test</c>; a role that may create databases). Never skipped: without a
/// server the fixture fails, and so do its tests.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private TestDatabase(string connectionString, string name) { ConnectionString = connectionString; Name = name; }

    public string ConnectionString { get; }
    public string Name { get; }

    public static string Server =>
        Environment.GetEnvironmentVariable("FLOWSTATE_TEST_DB") is { Length: > 0 } s ? s : "Host=127.0.0.1;Port=5432;Username=flowstate;Password=flowstate";

    public static async Task<TestDatabase> CreateAsync()
    {
        var name = $"flowstate_test_{Guid.NewGuid():N}"[..32];
        var cs = new NpgsqlConnectionStringBuilder(Server) { Database = name, MaxPoolSize = 12 }.ConnectionString;
        await SchemaMigrator.EnsureDatabaseAsync(cs);
        await SchemaMigrator.ApplyAsync(cs);
        return new TestDatabase(cs, name);
    }

    public async Task<T> ScalarAsync<T>(string sql, params object[] args)
    {
        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var a in args) cmd.Parameters.Add(new NpgsqlParameter { Value = a });
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        var admin = new NpgsqlConnectionStringBuilder(Server) { Database = "postgres", Pooling = false };
        await using var conn = new NpgsqlConnection(admin.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"drop database if exists \"{Name}\" with (force)", conn);
        await cmd.ExecuteNonQueryAsync();
    }
}

/// <summary>A test class with a fresh, migrated database of its own for each test (dropped after).</summary>
public abstract class FreshDatabaseTests : IAsyncLifetime
{
    protected TestDatabase Db { get; private set; } = null!;

    public async Task InitializeAsync() => Db = await TestDatabase.CreateAsync();
    public async Task DisposeAsync() => await Db.DisposeAsync();
}

/// <summary>A clock tests move by hand.</summary>
public sealed class TestClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;
    public override DateTimeOffset GetUtcNow() => _now;
    public void Set(DateTimeOffset now) => _now = now;
    public void Advance(TimeSpan by) => _now += by;
}
