using Flowstate.GraphQL.Schema;
using Flowstate.Silo.Options;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Flowstate.Tests.Unit;

/// <summary>Flowstate:GraphQL reaches the schema's policies: disclosure follows the environment unless set, and the query deadline is bound and validated.</summary>
public sealed class GraphQLSettingsTests
{
    private static ServiceProvider Build(bool development, Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging().AddFlowstateGraphQL();
        GraphQLSettings.AddFlowstateGraphQLSettings(services, configuration, development);
        return services.BuildServiceProvider();
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void Unset_SuggestionsAndIntrospectionFollowTheEnvironment(bool development, bool disclosed)
    {
        using var services = Build(development, []);
        Assert.Equal(disclosed, services.GetRequiredService<SuggestionPolicy>().Enabled);
        Assert.Equal(disclosed, services.GetRequiredService<IntrospectionPolicy>().Enabled);
        Assert.Equal(TimeSpan.FromSeconds(30), services.GetRequiredService<QueryDeadline>().Timeout);
    }

    [Fact]
    public void Set_InProduction_TheyAreOnAndTheDeadlineIsBound()
    {
        using var services = Build(false, new()
        {
            ["Flowstate:GraphQL:Suggestions"] = "true", ["Flowstate:GraphQL:Introspection"] = "true", ["Flowstate:GraphQL:QueryTimeout"] = "00:00:05",
        });
        Assert.True(services.GetRequiredService<SuggestionPolicy>().Enabled);
        Assert.True(services.GetRequiredService<IntrospectionPolicy>().Enabled);
        Assert.Equal(TimeSpan.FromSeconds(5), services.GetRequiredService<QueryDeadline>().Timeout);
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("-00:00:01")]
    [InlineData("00:10:01")]
    public void AnImpossibleDeadline_StopsTheHost_NamingTheSetting(string timeout)
    {
        using var services = Build(false, new() { ["Flowstate:GraphQL:QueryTimeout"] = timeout });
        var failure = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<GraphQLSettings>>().Value);
        Assert.Contains("Flowstate:GraphQL:QueryTimeout", failure.Message);
    }
}
