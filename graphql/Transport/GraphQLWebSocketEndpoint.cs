using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;
using GraphQL;
using GraphQL.Transport;
using GraphQL.Types;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Flowstate.GraphQL.Transport;

/// <summary>
/// GraphQL over WebSocket, <c>graphql-transport-ws</c> subprotocol (https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md),
/// executed through the DI-registered <see cref="IDocumentExecuter{TSchema}"/>. This file routes and accepts
/// the upgrade; <see cref="GraphQLWebSocketConnection"/> speaks the protocol, <see cref="GraphQLWebSocketOperation"/>
/// is one running operation, <see cref="GraphQLWebSocketOptions"/> the limits and hooks.
/// </summary>
public static class GraphQLWebSocketEndpoint
{
    public const string SubProtocol = "graphql-transport-ws";
    /// <summary>Handles WebSocket upgrades on <paramref name="path"/>; the caller must add <c>app.UseWebSockets()</c>.</summary>
    public static IEndpointRouteBuilder MapGraphQLWebSocket(this IEndpointRouteBuilder app, string path = "/graphql",
        Action<ExecutionOptions, HttpContext>? configure = null, GraphQLWebSocketOptions? options = null)
    {
        options ??= new GraphQLWebSocketOptions();
        // The constraint hides this endpoint from non-upgrade requests, so GET/POST on the same path still reach the
        // HTTP endpoint without either one knowing about the other; the lower order wins when an upgrade matches both.
        var pattern = RoutePatternFactory.Parse(path, defaults: null,
            parameterPolicies: new RouteValueDictionary { ["websocket"] = new WebSocketRequestConstraint() });
        app.Map(pattern, ctx => HandleAsync(ctx, configure, options)).WithOrder(-1).WithDisplayName($"GraphQL WebSocket {path}");
        return app;
    }

    private sealed class WebSocketRequestConstraint : IRouteConstraint
    {
        // Reads the headers rather than ctx.WebSockets: WebApplication matches routes before UseWebSockets() has run.
        public bool Match(HttpContext? httpContext, IRouter? route, string routeKey, RouteValueDictionary values, RouteDirection routeDirection) =>
            httpContext is { Request: var request }
            && ((HttpMethods.IsGet(request.Method) && request.Headers.Upgrade.ToString().Contains("websocket", StringComparison.OrdinalIgnoreCase))
                || httpContext.Features.Get<IHttpExtendedConnectFeature>() is { IsExtendedConnect: true, Protocol: var protocol }
                    && string.Equals(protocol, "websocket", StringComparison.OrdinalIgnoreCase));
    }

    private static async Task HandleAsync(HttpContext ctx, Action<ExecutionOptions, HttpContext>? configure, GraphQLWebSocketOptions options)
    {
        if (!ctx.WebSockets.IsWebSocketRequest)
        {
            // An upgrade the WebSocket middleware refused (bad handshake headers) or did not see (UseWebSockets() missing).
            ctx.Response.StatusCode = StatusCodes.Status400BadRequest;
            await ctx.Response.WriteAsync("Invalid WebSocket upgrade request.", ctx.RequestAborted);
            return;
        }
        var offered = ctx.WebSockets.WebSocketRequestedProtocols.Contains(SubProtocol);
        using var socket = await ctx.WebSockets.AcceptWebSocketAsync(offered ? SubProtocol : null);
        if (!offered)
        {
            // Close codes only exist after the handshake, so the protocol rejects unknown subprotocols by accepting first.
            try { await socket.CloseAsync((WebSocketCloseStatus)4406, "Subprotocol not acceptable", ctx.RequestAborted); }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException) { }
            return;
        }
        // Counted in the silo's metrics (open connections here, operations in GraphQLWebSocketOperation): see FlowstateMetrics.
        var metrics = ctx.RequestServices.GetRequiredService<FlowstateMetrics>();
        metrics.WebSocketConnected();
        try { await new GraphQLWebSocketConnection(ctx, socket, configure, options, metrics).RunAsync(); }
        finally { metrics.WebSocketDisconnected(); }
    }
}
