using System.Text.Json;
using Flowstate.GraphQL.Schema;
using Flowstate.Tests.Infrastructure;
using GraphQL;
using GraphQL.Types;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Flowstate.Tests.Cluster;

/// <summary>
/// Issue 9: our own execution deadline. A query past it is cancelled and answered with TIMEOUT; a
/// mutation is never cut off (its root fields run in turn, and stopping between two would leave half
/// of it written). A deadline of zero makes "past it" certain without any slow resolver or clock.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class QueryDeadlineTests(FlowstateCluster cluster)
{
    private async Task<JsonElement> RunAsync(TimeSpan deadline, string org, string query, CancellationToken caller = default)
    {
        var services = new ServiceCollection().AddLogging().AddSingleton(cluster.Grains).AddSingleton(cluster.Cluster.Client).AddFlowstateGraphQL();
        services.Replace(ServiceDescriptor.Singleton(new QueryDeadline(deadline)));
        await using var provider = services.BuildServiceProvider();
        var result = await provider.GetRequiredService<IDocumentExecuter<ISchema>>().ExecuteAsync(new ExecutionOptions
        {
            Query = query, RequestServices = provider, UserContext = FlowstateCluster.Admin(org), CancellationToken = caller,
        });
        return JsonDocument.Parse(provider.GetRequiredService<IGraphQLTextSerializer>().Serialize(result)).RootElement.Clone();
    }

    private static string? Code(JsonElement response) =>
        response.TryGetProperty("errors", out var errors) ? errors[0].GetProperty("extensions").GetProperty("code").GetString() : null;

    [Fact]
    public async Task AQueryPastTheDeadline_IsCancelled_WithTimeout()
    {
        var org = await TestOrg.CreateAsync(cluster);
        var late = await RunAsync(TimeSpan.Zero, org.Id, "{ providers { id } }");
        Assert.Equal("TIMEOUT", Code(late));
        Assert.False(late.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object, late.ToString());

        var inTime = await RunAsync(TimeSpan.FromSeconds(30), org.Id, "{ providers { id } }");
        Assert.Null(Code(inTime));
        Assert.Equal("claude", inTime.GetProperty("data").GetProperty("providers")[0].GetProperty("id").GetString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AMutation_IsNeverCutOff_ByTheDeadlineOrAClientThatWent_EveryRootFieldIsWritten(bool clientGone)
    {
        var org = await TestOrg.CreateAsync(cluster);
        var response = await RunAsync(TimeSpan.Zero, org.Id, """
            mutation { a: configureProvider(input: { id: "deadline-a", name: "A" }) { id }
                       b: configureProvider(input: { id: "deadline-b", name: "B" }) { id } }
            """, clientGone ? new CancellationToken(canceled: true) : default);
        Assert.Null(Code(response));
        Assert.Equal("deadline-b", response.GetProperty("data").GetProperty("b").GetProperty("id").GetString());
        var ids = (await org.DataAsync("{ providers { id } }")).GetProperty("providers").EnumerateArray().Select(p => p.GetProperty("id").GetString()).ToList();
        Assert.Contains("deadline-a", ids);
        Assert.Contains("deadline-b", ids);
    }

    [Fact]
    public async Task AQueryWhoseClientWent_IsCancelled_NotAnsweredAsATimeout()
    {
        var org = await TestOrg.CreateAsync(cluster);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            RunAsync(TimeSpan.FromSeconds(30), org.Id, "{ providers { id } }", new CancellationToken(canceled: true)));
    }
}
