using System.Net;
using GraphQL;
using Flowstate.GraphQL.Schema;
using Flowstate.GraphQL.Subscriptions;
using Flowstate.GraphQL.Transport;
using Flowstate.GraphQL.Types;
using Flowstate.Demo;
using Flowstate.Silo.Identity;
using Flowstate.Silo.Options;
using Flowstate.Durable;
using Flowstate.Reconciliation;
using Flowstate.Storage;
using Flowstate.Connectors.Http;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Flowstate.Silo.Exports;
using Microsoft.Extensions.FileProviders;
using Npgsql;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Storage;
using Orleans.Providers;
using Orleans.Dashboard;

namespace Flowstate.Silo.Hosting;

/// <summary>The wiring of the host: Orleans on PostgreSQL, GraphQL, dashboard, health.</summary>
public static class SiloHosting
{
    private const string Invariant = "Npgsql";

    public static WebApplicationBuilder AddFlowstate(this WebApplicationBuilder builder, FlowstateOptions options)
    {
        builder.WebHost.UseUrls(options.Http);
        builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);   // no "Server: Kestrel"
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(options.ShutdownSeconds));
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(BusinessClock.System);
        builder.Services.AddFlowstateStorage(options.Connections.ReadModels, new DurableOptions { ReplayAfter = TimeSpan.FromSeconds(options.ReplayAfterSeconds) });
        builder.Services.AddFlowstateGraphQL();
        // Introspection and suggestions (on in development, off in production unless configured) and the query deadline.
        GraphQLSettings.AddFlowstateGraphQLSettings(builder.Services, builder.Configuration, builder.Environment.IsDevelopment());
        builder.Services.AddFlowstateStreamingOptions(builder.Configuration);
        builder.Services.AddFlowstateIngestOptions(builder.Configuration);
        builder.Services.AddFlowstateIdentity(builder.Configuration);
        builder.Services.AddFlowstateWebSecurity(builder.Configuration);
        builder.Services.AddFlowstateTelemetry(options);
        builder.AddFlowstateOtlp(options);
        builder.Services.AddSingleton<DemoLoader>();
        // The demo pulls from a sandbox on loopback: the providers' own rate limits do not apply to it.
        if (options.Demo) builder.Services.Configure<ConnectorHttpOptions>(o => o.RequestsPerMinute.Clear());
        builder.Services.AddSingleton(new DemoStatus(options.Demo));
        builder.Services.AddHostedService<StartupBanner>();
        builder.UseOrleans(silo => silo.ConfigureFlowstateSilo(options));
        builder.Services.AddHostedService<GracefulShutdown>();   // after Orleans, so it stops first
        return builder;
    }

    /// <summary>Read models, the data source the grains use directly, and the durable-command journal with its replay.</summary>
    public static IServiceCollection AddFlowstateStorage(this IServiceCollection services, string connectionString, DurableOptions? durable = null)
    {
        services.AddSingleton(_ => NpgsqlDataSource.Create(connectionString));
        services.AddSingleton<IStorageErrors, StorageExceptionFilter>();
        services.AddSingleton(durable ?? new DurableOptions());
        services.AddSingleton<IntentJournal>();
        services.AddSingleton<Durability>();
        services.AddSingleton<JournalReplay>();
        services.AddHostedService(sp => sp.GetRequiredService<JournalReplay>());
        services.AddSingleton<ReconLedgerStore>();
        services.AddSingleton<ExportStore>();
        services.AddSingleton<SessionStore>();
        services.AddSingleton<RowEventStore>();
        services.AddSingleton<IRowEventLog>(sp => sp.GetRequiredService<RowEventStore>());
        services.AddSingleton<SessionQueries>();
        services.AddSingleton<RollupStore>();
        services.AddSingleton<IngestLogStore>();
        services.AddSingleton<Flowstate.Identity.IIngestKeyStore, IngestKeyStore>();
        services.AddSingleton<Flowstate.Attribution.ISessionContentStore, SessionContentStore>();
        services.AddSingleton<Flowstate.Ingestion.IngestSignal>();
        services.AddSingleton<Flowstate.Ingestion.FoldProgress>();
        services.TryAddSingleton(new Flowstate.Ingestion.IngestOptions());
        services.AddSingleton<Flowstate.Ingestion.IngestAdmission>();
        services.AddHostedService(sp => sp.GetRequiredService<Flowstate.Ingestion.IngestAdmission>());
        // Provider credentials: encrypted with Data Protection keys kept in PostgreSQL, shared by every silo.
        services.AddDataProtection().SetApplicationName("flowstate");
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp =>
            new ConfigureOptions<KeyManagementOptions>(o => o.XmlRepository = new DataProtectionKeyStore(sp.GetRequiredService<NpgsqlDataSource>())));
        services.AddConnectors();
        services.AddSingleton<Flowstate.Ingestion.IngestFold>();
        services.AddHostedService(sp => sp.GetRequiredService<Flowstate.Ingestion.IngestFold>());
        return services;
    }

    /// <summary>Storage, reminders and clustering on PostgreSQL through Orleans ADO.NET, plus the dashboard.</summary>
    public static ISiloBuilder ConfigureFlowstateSilo(this ISiloBuilder silo, FlowstateOptions options)
    {
        silo.Configure<ClusterOptions>(o => { o.ClusterId = options.ClusterId; o.ServiceId = options.ServiceId; });
        silo.Configure<SiloOptions>(o => o.SiloName = options.SiloName!);
        if (options.Clustering == "AdoNet")
        {
            silo.UseAdoNetClustering(o => { o.Invariant = Invariant; o.ConnectionString = options.Connections.Orleans; });
            var ip = options.AdvertisedIp is null ? null : IPAddress.Parse(options.AdvertisedIp);
            silo.ConfigureEndpoints(ip ?? IPAddress.Loopback, options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: ip is not null);
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(options.MembershipProbeSeconds);
                // A joining silo waits for every silo still marked active to answer, unless that silo's last
                // "I am alive" row is older than two publish periods. Orleans publishes every 30 s, so a cluster
                // whose silos were all killed (one replica, or a node lost) waited a minute to come back. One
                // small UPDATE per silo every 10 s makes that wait at most 20 s.
                o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(Math.Max(10, 2 * options.MembershipProbeSeconds));
            });
        }
        else
        {
            silo.UseLocalhostClustering(options.SiloPort, options.GatewayPort);
        }
        silo.AddFlowstatePersistence(options.Connections.Orleans, options.Connections.BatchedGrainState);
        silo.AddFlowstateStreams(options.Connections.Orleans);
        silo.AddDashboard();
        return silo;
    }

    /// <summary>Grain storage and reminders on PostgreSQL (shared by the host and the test clusters).</summary>
    public static ISiloBuilder AddFlowstatePersistence(this ISiloBuilder silo, string connectionString, string? batchedConnectionString = null)
    {
        silo.AddAdoNetGrainStorage(GrainStorage.Name, o => { o.Invariant = Invariant; o.ConnectionString = connectionString; });
        // Orleans' own binary format: versioned by the [Id]s on state types, compact, and blind to
        // computed properties (the JSON default would walk Period.Next forever).
        silo.Services.AddOptions<AdoNetGrainStorageOptions>(GrainStorage.Name)
            .Configure<Serializer>((o, serializer) => o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer));
        // The fold's partitions and subject-months read and write in batches (BatchedGrainStorage), the rest one by one.
        BatchedGrainStorage.Decorate(silo.Services, GrainStorage.Name, batchedConnectionString ?? connectionString);
        TranslatingGrainStorage.Decorate(silo.Services, GrainStorage.Name);
        silo.UseAdoNetReminderService(o => { o.Invariant = Invariant; o.ConnectionString = connectionString; });
        silo.AddIncomingGrainCallFilter<StorageExceptionFilter>();
        silo.Services.AddFlowstateMetrics();
        return silo;
    }

    /// <summary>
    /// The event streams (<see cref="EventStreams"/>): memory streams, whose messages live only in
    /// the silos' memory (the row event log in PostgreSQL is the durable copy), with their pub-sub
    /// registry in PostgreSQL. The registry says which silos' hubs subscribe to which stream; kept in
    /// memory storage it would vanish with the silo that happens to hold it, and every other silo's
    /// subscribers would silently stop receiving events. Its writes happen only when a silo's first
    /// local subscriber to a stream arrives or its last one leaves.
    /// </summary>
    public static ISiloBuilder AddFlowstateStreams(this ISiloBuilder silo, string connectionString)
    {
        silo.AddAdoNetGrainStorage(ProviderConstants.DEFAULT_PUBSUB_PROVIDER_NAME, o => { o.Invariant = Invariant; o.ConnectionString = connectionString; });
        silo.Services.AddOptions<AdoNetGrainStorageOptions>(ProviderConstants.DEFAULT_PUBSUB_PROVIDER_NAME)
            .Configure<Serializer>((o, serializer) => o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer));
        TranslatingGrainStorage.Decorate(silo.Services, ProviderConstants.DEFAULT_PUBSUB_PROVIDER_NAME);
        silo.AddMemoryStreams(EventStreams.Provider, s =>
        {
            // Few queues polled often: the default 100 ms poll would dominate an event's latency.
            s.ConfigurePartitioning(2);
            s.ConfigurePullingAgent(o => o.Configure(p => p.GetQueueMsgsTimerPeriod = TimeSpan.FromMilliseconds(5)));
        });
        return silo;
    }

    /// <summary>
    /// The WebSocket connect hook: the connection_init payload's <c>authorization</c> ("Bearer …")
    /// is validated by the same JWT bearer handler as HTTP, and the connection then acts as that
    /// caller; without one, credentials the upgrade request itself carried are used (the browser
    /// session's cookie). Anything else refuses the connection (4403). The connection then holds one
    /// of its identity's WebSocket permits (<see cref="WebSecurity.HoldWebSocketPermit"/>; 4429 beyond).
    /// </summary>
    internal static async ValueTask<bool> AuthenticateConnection(HttpContext http, IReadOnlyDictionary<string, object?>? payload)
    {
        var authorization = payload?.FirstOrDefault(p => p.Key.Equals("authorization", StringComparison.OrdinalIgnoreCase)).Value;
        if (authorization is not null)
        {
            if (authorization is not string value) return false;
            var principal = await http.RequestServices.GetRequiredService<CallerAuthenticator>().AuthenticateAsync(http, value);
            if (FlowstateUserContext.FromClaims(principal) is null) return false;
            http.User = principal!;
            http.Items[SocketCredentialKey] = value;
        }
        if (FlowstateUserContext.FromClaims(http.User) is not { } caller) return false;
        WebSecurity.HoldWebSocketPermit(http, caller);
        return true;
    }

    /// <summary>The connection_init authorization a WebSocket was accepted with (absent: the upgrade request's own credentials).</summary>
    private const string SocketCredentialKey = "flowstate.socket-credential";

    /// <summary>Whether an open WebSocket's credentials still hold, as the same caller: a revoked key, an ended session or an expired token do not.</summary>
    internal static async ValueTask<bool> ConnectionStillAuthorized(HttpContext http)
    {
        var principal = await http.RequestServices.GetRequiredService<CallerAuthenticator>()
            .ReauthenticateAsync(http, http.Items[SocketCredentialKey] as string);
        return (FlowstateUserContext.FromClaims(http.User), FlowstateUserContext.FromClaims(principal)) is ({ } accepted, { } now)
               && now.Org == accepted.Org && now.Actor == accepted.Actor;
    }

    public static WebApplication MapFlowstate(this WebApplication app, FlowstateOptions options)
    {
        static void Configure(ExecutionOptions exec, HttpContext http)
        {
            // Null only for a caller the transports did not authenticate; the access rule then refuses every field.
            exec.UserContext = FlowstateUserContext.FromClaims(http.User)!;
            // The deadline is the schema's own (QueryDeadline, Flowstate:GraphQL:QueryTimeout): queries only, never mutations.
        }
        app.UseSecurityHeaders();
        app.UseStorageUnavailableAnswer();
        app.UseAuthentication();
        app.UseCrossSiteProtection();
        app.UseRateLimiter();
        app.UseAuthorization();
        app.UseIngestAdmission();
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
        // GraphiQL for browsers (GET with Accept: text/html and no query), from the files the build copied to ide/.
        var ide = Path.Combine(AppContext.BaseDirectory, "ide");
        Func<HttpContext, Task>? browserPage = null;
        if (File.Exists(Path.Combine(ide, "index.html")))
        {
            app.UseStaticFiles(new StaticFileOptions { FileProvider = new PhysicalFileProvider(ide), RequestPath = "/graphiql" });
            browserPage = ctx =>
            {
                ctx.Response.ContentType = "text/html; charset=utf-8";
                ctx.Response.Headers.Vary = "Accept";
                return ctx.Response.SendFileAsync(Path.Combine(ide, "index.html"), ctx.RequestAborted);
            };
        }
        app.MapWebApp(Path.Combine(AppContext.BaseDirectory, "wwwroot"));
        app.MapGraphQLHttp("/graphql", browserPage, Configure, http => FlowstateUserContext.FromClaims(http.User) is not null);
        app.MapGraphQLWebSocket("/graphql", configure: Configure, options: app.Services.GetRequiredService<IOptions<WebSocketSettings>>().Value.ApplyTo(new GraphQLWebSocketOptions
        {
            OnConnect = AuthenticateConnection,
            StillAuthorized = ConnectionStillAuthorized,
            Share = (http, request) => SubscriptionSharing.Of(request, SharingKey(FlowstateUserContext.FromClaims(http.User)!),
                http.RequestServices.GetRequiredService<IGraphQLTextSerializer>()),
        }));
        app.MapBrowserSession();
        app.MapFlowstateExports();
        app.MapFlowstateMetrics().RequireAuthorization(IdentityHosting.OpsPolicy);   // DESIGN §7: metrics are for ops
        app.MapFlowstateOtlp(options);
        app.MapGet("/metrics/subscriptions", (EventHub hub, FlowstateMetrics feeds, SharedSubscriptions shared) => Results.Json(new
        {
            webSocket = new { connections = feeds.WebSocketConnections, operations = feeds.WebSocketOperations },
            streams = new { subscriptions = hub.StreamSubscriptions, listeners = hub.Listeners },
            shared = new { groups = shared.Groups },
            feeds = new { active = feeds.Feeds, liveRowFeeds = feeds.LiveRowFeeds },
        })).RequireAuthorization(IdentityHosting.OpsPolicy);
        // Cluster-wide (every org's grains): for the ops role only, by token or browser session.
        app.MapOrleansDashboard(routePrefix: "/dashboard").RequireAuthorization(IdentityHosting.OpsPolicy);
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapGet("/readyz", async (NpgsqlDataSource db, IClusterClient client, IClusterMembershipService membership, ILocalSiloDetails self,
            IHostApplicationLifetime lifetime, DemoStatus demo, CancellationToken ct) =>
        {
            // A draining silo asks for no new work: load balancers take it out while it finishes what it has.
            if (lifetime.ApplicationStopping.IsCancellationRequested)
                return Results.Text("not ready: stopping", statusCode: StatusCodes.Status503ServiceUnavailable);
            // Until the demo is loaded the first query would answer zeros (or half a demo).
            if (demo.NotReady is { } loading)
                return Results.Text($"not ready: {loading}", statusCode: StatusCodes.Status503ServiceUnavailable);
            // HTTP listens while the silo is still joining; until it is active it can place no grain.
            if (membership.CurrentSnapshot.GetSiloStatus(self.SiloAddress) != SiloStatus.Active)
                return Results.Text("not ready: joining the cluster", statusCode: StatusCodes.Status503ServiceUnavailable);
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

    /// <summary>Only callers of one org, subject and roles share a subscription's execution.</summary>
    private static string SharingKey(FlowstateUserContext caller) =>
        string.Join('\n', caller.Org, caller.Actor, string.Join(',', caller.Roles.Order(StringComparer.Ordinal)));
}
