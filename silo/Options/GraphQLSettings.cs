using Flowstate.GraphQL.Schema;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Flowstate.Silo.Options;

/// <summary>
/// What the GraphQL API discloses and how long a query may run, bound from <c>Flowstate:GraphQL</c>
/// (environment: <c>Flowstate__GraphQL__QueryTimeout=00:00:10</c>) and validated at start.
/// Introspection and "did you mean" suggestions are on in Development and off elsewhere unless set.
/// </summary>
public sealed class GraphQLSettings
{
    public const string Section = "Flowstate:GraphQL";

    /// <summary>Whether <c>__schema</c> and <c>__type</c> answer (GraphiQL, codegen); default: only in Development.</summary>
    public bool? Introspection { get; set; }

    /// <summary>Whether validation errors suggest names ("Did you mean …?"); default: only in Development.</summary>
    public bool? Suggestions { get; set; }

    /// <summary>A query running longer is cancelled and answered with TIMEOUT (mutations are never cut off).</summary>
    public TimeSpan QueryTimeout { get; set; } = QueryDeadline.Default.Timeout;

    public IEnumerable<string> Problems()
    {
        if (QueryTimeout <= TimeSpan.Zero || QueryTimeout > TimeSpan.FromMinutes(10))
            yield return $"{Section}:QueryTimeout must be above 0 and at most 00:10:00; got {QueryTimeout}.";
    }

    /// <summary>Binds and validates the settings at start, and hands the GraphQL layer its policies from them.</summary>
    public static IServiceCollection AddFlowstateGraphQLSettings(IServiceCollection services, IConfiguration configuration, bool development)
    {
        services.AddOptions<GraphQLSettings>().Bind(configuration.GetSection(Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<GraphQLSettings>>(new ProblemsValidator<GraphQLSettings>(s => s.Problems()));
        services.Replace(ServiceDescriptor.Singleton(sp => new IntrospectionPolicy(Settings(sp).Introspection ?? development)));
        services.Replace(ServiceDescriptor.Singleton(sp => new SuggestionPolicy(Settings(sp).Suggestions ?? development)));
        services.Replace(ServiceDescriptor.Singleton(sp => new QueryDeadline(Settings(sp).QueryTimeout)));
        return services;
    }

    private static GraphQLSettings Settings(IServiceProvider services) => services.GetRequiredService<IOptions<GraphQLSettings>>().Value;
}
