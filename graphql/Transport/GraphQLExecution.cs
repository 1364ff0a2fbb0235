using GraphQL;
using GraphQL.Transport;
using Microsoft.AspNetCore.Http;

namespace Flowstate.GraphQL.Transport;

/// <summary>What both transports do to turn a request into execution options.</summary>
public static class GraphQLExecution
{
    public static ExecutionOptions Options(GraphQLRequest request, HttpContext ctx, CancellationToken cancellation,
                                           Action<ExecutionOptions, HttpContext>? configure)
    {
        var options = new ExecutionOptions
        {
            Query = request.Query,
            OperationName = request.OperationName,
            Variables = request.Variables,
            Extensions = request.Extensions,
            RequestServices = ctx.RequestServices,
            CancellationToken = cancellation,
            User = ctx.User,
        };
        configure?.Invoke(options, ctx);
        return options;
    }
}
