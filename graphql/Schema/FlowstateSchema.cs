using Orleans.Runtime;
using Microsoft.Extensions.Logging;
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
        .AddSingleton(new IntrospectionPolicy(Enabled: true))   // the silo replaces these three from configuration
        .AddSingleton(new SuggestionPolicy(Enabled: true))
        .AddSingleton(QueryDeadline.Default)
        .AddSingleton<SharedSubscriptions>()
        .AddFlowstateMetrics()
        .AddSingleton(new SubscriptionOptions())
        .AddGraphQL(b => b
            .AddSchema<FlowstateSchema>()
            .AddSystemTextJson()
            .AddGraphTypes(typeof(FlowstateSchema).Assembly)
            .ConfigureExecution(DocumentBounds.ApplyAsync)
            .ConfigureExecution(QueryDeadline.ApplyAsync)   // inside the bounds: the document is parsed by then
            .AddErrorInfoProvider<FlowstateErrorInfoProvider>()
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
                // Only the contract's codes leave the server: business rules and storage errors keep theirs, a silo
                // gone mid-call is UNAVAILABLE, and anything else is an opaque INTERNAL (logged), never an exception's name.
                // Orleans wraps what a grain's activation threw; a store read from here throws the driver's own exception.
                var chain = Chain(ctx.OriginalException).ToList();
                var known = chain.FirstOrDefault(e => e is FlowstateException or StorageRejectedException or StorageUnavailableException or IngestOverloadedException)
                            ?? ctx.Context?.RequestServices?.GetService<IStorageErrors>()?.Translate(ctx.OriginalException);
                var (code, message) = known switch
                {
                    FlowstateException fe => (fe.Code, fe.Message),
                    StorageRejectedException sr => (sr.Code, sr.Message),
                    StorageUnavailableException su => (ErrorCodes.StorageUnavailable, su.Message),
                    IngestOverloadedException io => (ErrorCodes.Overloaded, io.Message),
                    _ when chain.Any(e => e is SiloUnavailableException or OrleansMessageRejectionException or TimeoutException) =>
                        (ErrorCodes.Unavailable, "A silo became unavailable during the call; retry it."),
                    _ => (ErrorCodes.Internal, "Internal error; it has been logged."),
                };
                if (code == ErrorCodes.Internal)
                    ctx.Context?.RequestServices?.GetService<ILoggerFactory>()?.CreateLogger("Flowstate.GraphQL")
                        .LogError(ctx.OriginalException, "Unhandled error in {Field}", ctx.FieldContext?.FieldDefinition?.Name);
                ctx.Exception = new ExecutionError(message) { Code = code };
                ctx.ErrorMessage = message;
            }));
}
