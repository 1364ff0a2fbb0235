using System.Text.Json;
using Flowstate.GraphQL.Schema;
using Flowstate.GraphQL.Types;
using GraphQL;
using GraphQL.Types;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Flowstate.Tests.Unit;

/// <summary>
/// Issue 9: "did you mean" suggestions are off in production unless configured (with introspection off
/// they would still spell out the schema); the error keeps its code and the rest of its message.
/// </summary>
public sealed class SuggestionPolicyTests
{
    private static async Task<JsonElement> ErrorAsync(bool suggestions, string query, string code)
    {
        var services = new ServiceCollection().AddLogging().AddFlowstateGraphQL();
        services.Replace(ServiceDescriptor.Singleton(new SuggestionPolicy(suggestions)));
        await using var provider = services.BuildServiceProvider();
        var result = await provider.GetRequiredService<IDocumentExecuter<ISchema>>().ExecuteAsync(new ExecutionOptions
        {
            Query = query, RequestServices = provider,
            UserContext = new FlowstateUserContext { Org = "acme", Actor = "a@acme", Roles = new HashSet<string> { "admin" } },
        });
        Assert.False(result.Executed);
        // Serialized as both transports write it: the error info provider shapes the message.
        var json = JsonDocument.Parse(provider.GetRequiredService<IGraphQLTextSerializer>().Serialize(result)).RootElement;
        // A bad document is INVALID_INPUT, the contract's code; the rule it broke is beside it.
        var error = json.GetProperty("errors").EnumerateArray().Single(e => e.GetProperty("extensions").TryGetProperty("rule", out var rule) && rule.GetString() == code).Clone();
        Assert.Equal("INVALID_INPUT", error.GetProperty("extensions").GetProperty("code").GetString());
        return error;
    }

    [Theory]
    [InlineData("{ provider { id } }", "FIELDS_ON_CORRECT_TYPE", "Cannot query field 'provider' on type 'Query'.", "'providers'")]
    [InlineData("query($x: Strin) { __typename }", "KNOWN_TYPE_NAMES", "Unknown type Strin.", "'String'")]
    [InlineData("{ providers { nmae } }", "FIELDS_ON_CORRECT_TYPE", "Cannot query field 'nmae' on type 'Provider'.", "'name'")]
    public async Task Off_TheErrorKeepsItsCodeAndNamesNothingElse_On_ItSuggests(string query, string code, string message, string suggested)
    {
        var off = await ErrorAsync(false, query, code);
        Assert.Equal(message, off.GetProperty("message").GetString());

        var on = await ErrorAsync(true, query, code);
        Assert.StartsWith(message + " Did you mean ", on.GetProperty("message").GetString());
        Assert.Contains(suggested, on.GetProperty("message").GetString());
    }
}
