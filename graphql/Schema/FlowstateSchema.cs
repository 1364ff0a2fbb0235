using Flowstate.GraphQL.Subscriptions;
using Flowstate.GraphQL.Transport;
using Flowstate.GraphQL.Types;
using GraphQL;
using GraphQL.Types;
using GraphQL.Utilities;
using GraphQL.Validation.Complexity;
using Microsoft.Extensions.DependencyInjection;

namespace Flowstate.GraphQL.Schema;

public sealed class FlowstateSchema : global::GraphQL.Types.Schema
{
    public FlowstateSchema(IServiceProvider services) : base(services)
    {
        Query = services.GetRequiredService<Query>();
        Mutation = services.GetRequiredService<Mutation>();
        Subscription = services.GetRequiredService<Subscription>();
        RegisterTypeMapping(typeof(decimal), typeof(DecimalScalar));
        RegisterTypeMapping(typeof(DateOnly), typeof(DateScalar));
        RegisterTypeMapping(typeof(DateTimeOffset), typeof(DateTimeScalar));
    }

    /// <summary>
    /// The schema in SDL, with descriptions: what <c>./flowstate schema</c> prints and what the web
    /// app's GraphQL operations are type-checked against. Built from the same registrations as the
    /// host's schema, without a cluster or a database.
    /// </summary>
    public static string PrintSdl()
    {
        using var services = new ServiceCollection().AddFlowstateGraphQL().BuildServiceProvider();
        var schema = services.GetRequiredService<FlowstateSchema>();
        schema.Initialize();
        return schema.Print(new PrintOptions { IncludeDescriptions = true, IncludeDeprecationReasons = true });
    }
}

public static class GraphQLServiceCollectionExtensions
{
    private static IEnumerable<Exception> Chain(Exception? e)
    {
        for (; e is not null; e = e.InnerException) yield return e;
    }

    /// <summary>The Flowstate schema, its error mapping and its limits.</summary>
    public static IServiceCollection AddFlowstateGraphQL(this IServiceCollection services) => services
        .AddSingleton<EventHub>()
        .AddSingleton<SharedSubscriptions>()
        .AddFlowstateMetrics()
        .AddSingleton(new SubscriptionOptions())
        .AddGraphQL(b => b
            .AddSchema<FlowstateSchema>()
            .AddSystemTextJson()
            .AddGraphTypes(typeof(FlowstateSchema).Assembly)
            .AddValidationRule<AccessValidationRule>(useForCachedDocuments: true)
            .AddComplexityAnalyzer(c =>
            {
                c.MaxDepth = 15;
                c.MaxComplexity = 200_000;
                // Introspection is bounded by the schema itself; counted like data, the standard query GraphiQL
                // (and every GraphQL tool) sends costs over a million and would be refused.
                var byDefault = c.DefaultComplexityImpactDelegate;
                c.DefaultComplexityImpactDelegate = f =>
                    f.FieldDefinition.Name.StartsWith("__", StringComparison.Ordinal) || f.ParentType.Name.StartsWith("__", StringComparison.Ordinal)
                        ? new FieldComplexityResult(0, 1)
                        : byDefault(f);
            })
            .AddUnhandledExceptionHandler(ctx =>
            {
                // Broken business rules and storage errors carry their stable code; anything else stays an opaque internal error.
                // Orleans wraps what a grain's activation threw; a store read from here throws the driver's own exception.
                var known = Chain(ctx.OriginalException).FirstOrDefault(e => e is FlowstateException or StorageRejectedException or StorageUnavailableException)
                            ?? ctx.Context?.RequestServices?.GetService<IStorageErrors>()?.Translate(ctx.OriginalException);
                var (code, message) = known switch
                {
                    FlowstateException fe => (fe.Code, fe.Message),
                    StorageRejectedException sr => (sr.Code, sr.Message),
                    StorageUnavailableException su => (ErrorCodes.StorageUnavailable, su.Message),
                    _ => ((string?)null, (string?)null),
                };
                if (code is not null)
                {
                    ctx.Exception = new ExecutionError(message!) { Code = code };
                    ctx.ErrorMessage = message;
                }
            }));
}
