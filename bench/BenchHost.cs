using Flowstate.Silo.Hosting;
using Flowstate.Silo.Options;
using Npgsql;

namespace Flowstate.Bench;

/// <summary>What the in-process benches share: a fresh database on FLOWSTATE_DB's server, and a silo on it.</summary>
internal static class BenchHost
{
    /// <summary>The connection string of <paramref name="database"/> on FLOWSTATE_DB's server, dropped and created afresh with the schema.</summary>
    public static async Task<string> FreshDatabaseAsync(string database)
    {
        var server = Environment.GetEnvironmentVariable("FLOWSTATE_DB") ?? throw new InvalidOperationException("FLOWSTATE_DB is required (./flowstate bench sets it).");
        var db = new NpgsqlConnectionStringBuilder(server) { Database = database }.ConnectionString;
        await ResetAsync(db);
        return db;
    }

    /// <summary>Drops <paramref name="db"/> and creates it again with the schema.</summary>
    public static async Task ResetAsync(string db)
    {
        await AttributionBench.DropDatabaseAsync(db);
        await SchemaMigrator.EnsureDatabaseAsync(db);
        await SchemaMigrator.ApplyAsync(db);
    }

    /// <summary>An in-process silo (development identity, warnings only) on <paramref name="db"/>, started, on HTTP port 5192.</summary>
    public static async Task<(WebApplication App, FlowstateOptions Options)> StartSiloAsync(string db)
    {
        var options = new FlowstateOptions { Http = "http://127.0.0.1:5192", Database = db, MaxConnections = 40, Demo = false, SiloPort = 11192, GatewayPort = 30192 };
        var builder = WebApplication.CreateBuilder(BenchIdentity.Development);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.AddFlowstate(options).Build();
        app.MapFlowstate(options);
        await app.StartAsync();
        return (app, options);
    }
}
