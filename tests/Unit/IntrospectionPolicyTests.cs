using Flowstate.GraphQL.Schema;
using Flowstate.GraphQL.Types;
using GraphQL;
using GraphQL.Types;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Flowstate.Tests.Unit;

/// <summary>Issue 9: introspection is off in production unless configured; __typename always answers.</summary>
public sealed class IntrospectionPolicyTests
{
    private static async Task<ExecutionResult> RunAsync(bool introspection, string query)
    {
        var services = new ServiceCollection().AddLogging().AddFlowstateGraphQL();
        services.Replace(ServiceDescriptor.Singleton(new IntrospectionPolicy(introspection)));
        await using var provider = services.BuildServiceProvider();
        return await provider.GetRequiredService<IDocumentExecuter<ISchema>>().ExecuteAsync(new ExecutionOptions
        {
            Query = query, RequestServices = provider,
            UserContext = new FlowstateUserContext { Org = "acme", Actor = "a@acme", Roles = new HashSet<string> { "admin" } },
        });
    }

    [Theory]
    [InlineData("{ __schema { queryType { name } } }")]
    [InlineData("{ __type(name: \"Query\") { name } }")]
    public async Task Off_IntrospectionIsForbidden_AndNothingRuns(string query)
    {
        var result = await RunAsync(false, query);
        Assert.False(result.Executed);
        Assert.Equal("FORBIDDEN", Assert.Single(result.Errors!).Code);
    }

    [Fact]
    public async Task On_ItAnswers_AndTypenameAnswersEitherWay()
    {
        Assert.Null((await RunAsync(true, "{ __schema { queryType { name } } }")).Errors);
        Assert.Null((await RunAsync(false, "{ __typename }")).Errors);
    }
}
