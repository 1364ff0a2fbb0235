using System.Text.Json;
using System.Threading.Channels;
using Flowstate.Durable;
using Flowstate.Reconciliation;
using Flowstate.Storage;
using Npgsql;
using Flowstate.GraphQL.Schema;
using Flowstate.GraphQL.Types;
using Flowstate.Silo.Hosting;
using GraphQL;
using GraphQL.Types;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Flowstate.Tests.Infrastructure;

/// <summary>
/// An in-process Orleans cluster on a fresh PostgreSQL database, with a movable clock and the
/// real GraphQL schema executed in-process against it. Shared per test collection; tests use
/// unique keys (their own org) so they do not see each other's data.
/// </summary>
public sealed class FlowstateCluster : IAsyncLifetime
{
    public const string ServiceId = "flowstate-tests";
    public static readonly DateTimeOffset Start = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    public TestClock Clock { get; } = new(Start);
    /// <summary>Write and push faults the tests inject (each rule scoped to the test's org).</summary>
    public Faults Faults { get; } = new();
    /// <summary>The journal replay steps in this soon in tests (10 s in a real silo).</summary>
    public static readonly DurableOptions Durable = new() { ReplayAfter = TimeSpan.FromSeconds(2), FirstRetryDelay = TimeSpan.FromMilliseconds(500) };
    public TestDatabase Database { get; private set; } = null!;
    public InProcessTestCluster Cluster { get; private set; } = null!;
    public IGrainFactory Grains => Cluster.Client;
    private ServiceProvider _graphql = null!;
    private NpgsqlDataSource? _events;

    /// <summary>The GraphQL host's services (event hub, subscription metrics) as a silo's host would have them.</summary>
    public IServiceProvider GraphQLServices => _graphql;

    public short Silos { get; init; } = 1;

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync();
        await StartClusterAsync();
    }

    private async Task StartClusterAsync()
    {
        var builder = new InProcessTestClusterBuilder(Silos);
        builder.Options.ServiceId = ServiceId;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddFlowstatePersistence(Database.ConnectionString);
            silo.AddFlowstateStreams(Database.ConnectionString);
            silo.Services.AddFlowstateStorage(Database.ConnectionString, Durable);
            silo.Services.AddSingleton(new BusinessClock(Clock));
            Faults.Install(silo);
        });
        builder.ConfigureClient(client => client.AddMemoryStreams(EventStreams.Provider));
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        _events?.Dispose();
        _events = NpgsqlDataSource.Create(Database.ConnectionString);
        _graphql = new ServiceCollection()
            .AddLogging()
            .AddSingleton(Grains)
            .AddSingleton(Cluster.Client)
            .AddSingleton<IRowEventLog>(new RowEventStore(_events))
            .AddSingleton<Flowstate.Identity.IIngestKeyStore>(new IngestKeyStore(_events))
            .AddSingleton<Flowstate.Attribution.ISessionContentStore>(new SessionContentStore(_events))
            .AddFlowstateGraphQL()
            .BuildServiceProvider();
    }

    /// <summary>
    /// Stops every silo (no graceful deactivation of grains) and starts a new cluster on the same
    /// database; <paramref name="whileDown"/> runs in between (e.g. lifting a fault the old silos kept hitting).
    /// </summary>
    public async Task RestartAsync(Action? whileDown = null)
    {
        await _graphql.DisposeAsync();
        await Cluster.DisposeAsync();
        whileDown?.Invoke();
        await StartClusterAsync();
    }

    /// <summary>Journal rows still waiting in this cluster's database (for an org, or all).</summary>
    public Task<long> JournalBacklogAsync(string? org = null) => org is null
        ? Database.ScalarAsync<long>("select count(*) from durable_intents")
        : Database.ScalarAsync<long>("select count(*) from durable_intents where org = $1", org);

    /// <summary>Waits until the ingest fold has passed everything appended so far (see <see cref="FoldWait"/>).</summary>
    public Task FoldedAsync(TimeSpan? timeout = null) => FoldWait.CaughtUpAsync(Database.ConnectionString, timeout);

    /// <summary>Polls <paramref name="condition"/> until it holds, failing after <paramref name="timeout"/> (default 15 s).</summary>
    public static async Task EventuallyAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"Timed out waiting for: {what}");
            await Task.Delay(100);
        }
    }

    /// <summary>An admin of <paramref name="org"/>: what the tests act as unless they say otherwise.</summary>
    public static FlowstateUserContext Admin(string org) => As(org, Roles.Admin);

    /// <summary>A caller of <paramref name="org"/> with the given roles (sub <c>tester@org</c>).</summary>
    public static FlowstateUserContext As(string org, params string[] roles) =>
        new() { Org = org, Actor = "tester@" + org, Roles = roles.ToHashSet() };

    /// <summary>Runs a GraphQL operation through the real schema as an admin of <paramref name="org"/> and returns the JSON response.</summary>
    public Task<JsonElement> GraphQLAsync(string org, string query, object? variables = null) => GraphQLAsync(Admin(org), query, variables);

    /// <summary>Runs a GraphQL operation through the real schema as <paramref name="caller"/> and returns the JSON response.</summary>
    public async Task<JsonElement> GraphQLAsync(FlowstateUserContext caller, string query, object? variables = null)
    {
        var serializer = _graphql.GetRequiredService<IGraphQLTextSerializer>();
        var executer = _graphql.GetRequiredService<IDocumentExecuter<ISchema>>();
        var inputs = variables is null ? null : serializer.Deserialize<Inputs>(JsonSerializer.Serialize(variables));
        var result = await executer.ExecuteAsync(new ExecutionOptions
        {
            Query = query,
            Variables = inputs,
            RequestServices = _graphql,
            UserContext = caller,
        });
        return JsonDocument.Parse(serializer.Serialize(result)).RootElement.Clone();
    }

    /// <summary>
    /// Starts a GraphQL subscription through the real schema; its events arrive as JSON on the
    /// returned channel (a result with errors and no stream is written there too). Dispose to end it.
    /// </summary>
    public Task<Subscriber> SubscribeAsync(string org, string query, object? variables = null) => SubscribeAsync(Admin(org), query, variables);

    public async Task<Subscriber> SubscribeAsync(FlowstateUserContext caller, string query, object? variables = null)
    {
        var serializer = _graphql.GetRequiredService<IGraphQLTextSerializer>();
        var executer = _graphql.GetRequiredService<IDocumentExecuter<ISchema>>();
        var inputs = variables is null ? null : serializer.Deserialize<Inputs>(JsonSerializer.Serialize(variables));
        var result = await executer.ExecuteAsync(new ExecutionOptions
        {
            Query = query,
            Variables = inputs,
            RequestServices = _graphql,
            UserContext = caller,
        });
        var subscriber = new Subscriber(serializer);
        if (result.Streams is { Count: > 0 } streams) subscriber.Handle = streams.Values.First().Subscribe(subscriber);
        else subscriber.OnNext(result);
        return subscriber;
    }

    public sealed class Subscriber(IGraphQLTextSerializer serializer) : IObserver<ExecutionResult>, IDisposable
    {
        public Channel<JsonElement> Events { get; } = Channel.CreateUnbounded<JsonElement>();
        public IDisposable? Handle { get; set; }
        public bool Completed { get; private set; }

        public void OnNext(ExecutionResult value) => Events.Writer.TryWrite(JsonDocument.Parse(serializer.Serialize(value)).RootElement.Clone());
        public void OnError(Exception error) => Events.Writer.TryComplete(error);
        public void OnCompleted() { Completed = true; Events.Writer.TryComplete(); }

        /// <summary>The next event, or a failure after <paramref name="timeout"/> (default 10 s).</summary>
        public async Task<JsonElement> NextAsync(TimeSpan? timeout = null)
        {
            using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
            return await Events.Reader.ReadAsync(cts.Token);
        }

        /// <summary>True when nothing arrives within <paramref name="quiet"/>.</summary>
        public async Task<bool> QuietForAsync(TimeSpan quiet)
        {
            using var cts = new CancellationTokenSource(quiet);
            try { await Events.Reader.WaitToReadAsync(cts.Token); return false; }
            catch (OperationCanceledException) { return true; }
        }

        public void Dispose() => Handle?.Dispose();
    }

    public async Task DisposeAsync()
    {
        _events?.Dispose();
        await _graphql.DisposeAsync();
        await Cluster.DisposeAsync();
        await Database.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<FlowstateCluster>
{
    public const string Name = "cluster";
}
