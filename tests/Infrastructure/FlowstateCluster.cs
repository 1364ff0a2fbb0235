using System.Text.Json;
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
    public TestDatabase Database { get; private set; } = null!;
    public InProcessTestCluster Cluster { get; private set; } = null!;
    public IGrainFactory Grains => Cluster.Client;
    private ServiceProvider _graphql = null!;

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
            silo.Services.AddFlowstateStorage(Database.ConnectionString);
            silo.Services.AddSingleton(new BusinessClock(Clock));
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        _graphql = new ServiceCollection()
            .AddSingleton(Grains)
            .AddFlowstateGraphQL()
            .BuildServiceProvider();
    }

    /// <summary>Stops every silo (no graceful deactivation of grains) and starts a new cluster on the same database.</summary>
    public async Task RestartAsync()
    {
        await _graphql.DisposeAsync();
        await Cluster.DisposeAsync();
        await StartClusterAsync();
    }

    /// <summary>Runs a GraphQL operation through the real schema and returns the JSON response.</summary>
    public async Task<JsonElement> GraphQLAsync(string org, string query, object? variables = null)
    {
        var serializer = _graphql.GetRequiredService<IGraphQLTextSerializer>();
        var executer = _graphql.GetRequiredService<IDocumentExecuter<ISchema>>();
        var inputs = variables is null ? null : serializer.Deserialize<Inputs>(JsonSerializer.Serialize(variables));
        var result = await executer.ExecuteAsync(new ExecutionOptions
        {
            Query = query,
            Variables = inputs,
            RequestServices = _graphql,
            UserContext = new FlowstateUserContext { Org = org, Actor = "tester@" + org },
        });
        return JsonDocument.Parse(serializer.Serialize(result)).RootElement.Clone();
    }

    public async Task DisposeAsync()
    {
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
