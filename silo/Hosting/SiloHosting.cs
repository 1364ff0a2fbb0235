using System.Net;
using GraphQL;
using Flowstate.GraphQL.Schema;
using Flowstate.GraphQL.Transport;
using Flowstate.GraphQL.Types;
using Flowstate.Silo.Demo;
using Flowstate.Silo.Options;
using Flowstate.Storage;
using Npgsql;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Storage;
using Orleans.Dashboard;

namespace Flowstate.Silo.Hosting;

/// <summary>The wiring of the host: Orleans on PostgreSQL, GraphQL, dashboard, health.</summary>
public static class SiloHosting
{
    private const string Invariant = "Npgsql";

    public static WebApplicationBuilder AddFlowstate(this WebApplicationBuilder builder, FlowstateOptions options)
    {
        builder.WebHost.UseUrls(options.Http);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(BusinessClock.System);
        builder.Services.AddFlowstateStorage(options.Database);
        builder.Services.AddFlowstateGraphQL();
        builder.Services.AddHostedService<RepairSweeper>();
        builder.Services.AddSingleton<RepairSweeper>();
        builder.Services.AddHostedService<DemoLoader>();
        builder.UseOrleans(silo => silo.ConfigureFlowstateSilo(options));
        return builder;
    }

    /// <summary>Read models and the data source the grains use directly.</summary>
    public static IServiceCollection AddFlowstateStorage(this IServiceCollection services, string connectionString)
    {
        services.AddSingleton(_ => NpgsqlDataSource.Create(connectionString));
        services.AddSingleton<ReconLedgerStore>();
        services.AddSingleton<SessionStore>();
        services.AddSingleton<SessionQueries>();
        services.AddSingleton<RollupStore>();
        return services;
    }

    /// <summary>Storage, reminders and clustering on PostgreSQL through Orleans ADO.NET, plus the dashboard.</summary>
    public static ISiloBuilder ConfigureFlowstateSilo(this ISiloBuilder silo, FlowstateOptions options)
    {
        silo.Configure<ClusterOptions>(o => { o.ClusterId = options.ClusterId; o.ServiceId = options.ServiceId; });
        if (options.Clustering == "AdoNet")
        {
            silo.UseAdoNetClustering(o => { o.Invariant = Invariant; o.ConnectionString = options.Database; });
            var ip = options.AdvertisedIp is null ? null : IPAddress.Parse(options.AdvertisedIp);
            silo.ConfigureEndpoints(ip ?? IPAddress.Loopback, options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: ip is not null);
        }
        else
        {
            silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort);
        }
        silo.AddFlowstatePersistence(options.Database);
        silo.AddDashboard();
        return silo;
    }

    /// <summary>Grain storage and reminders on PostgreSQL (shared by the host and the test clusters).</summary>
    public static ISiloBuilder AddFlowstatePersistence(this ISiloBuilder silo, string connectionString)
    {
        silo.AddAdoNetGrainStorage(GrainStorage.Name, o => { o.Invariant = Invariant; o.ConnectionString = connectionString; });
        // Orleans' own binary format: versioned by the [Id]s on state types, compact, and blind to
        // computed properties (the JSON default would walk Period.Next forever).
        silo.Services.AddOptions<AdoNetGrainStorageOptions>(GrainStorage.Name)
            .Configure<Serializer>((o, serializer) => o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer));
        silo.UseAdoNetReminderService(o => { o.Invariant = Invariant; o.ConnectionString = connectionString; });
        silo.AddIncomingGrainCallFilter<StorageExceptionFilter>();
        return silo;
    }

    public static WebApplication MapFlowstate(this WebApplication app, FlowstateOptions options)
    {
        void Configure(ExecutionOptions exec, HttpContext http)
        {
            exec.UserContext = new FlowstateUserContext { Org = options.DefaultOrg, Actor = http.User.Identity?.Name ?? "anonymous" };
            exec.Timeout = TimeSpan.FromSeconds(30);
        }
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
        app.MapGraphQLHttp("/graphql", configure: Configure);
        app.MapGraphQLWebSocket("/graphql", configure: Configure);
        app.MapOrleansDashboard(routePrefix: "/dashboard");
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/readyz", async (NpgsqlDataSource db, IClusterClient client, CancellationToken ct) =>
        {
            try
            {
                await using var cmd = db.CreateCommand("select 1");
                await cmd.ExecuteScalarAsync(ct);
                await client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
                return Results.Text("ready");
            }
            catch (Exception e)
            {
                return Results.Text($"not ready: {e.Message}", statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        });
        return app;
    }
}
