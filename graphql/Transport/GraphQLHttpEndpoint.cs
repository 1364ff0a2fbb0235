using System.Text.Json;
using GraphQL;
using GraphQL.Transport;
using GraphQL.Types;
using GraphQLParser;
using GraphQLParser.AST;
using GraphQLParser.Exceptions;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;

namespace Flowstate.GraphQL.Transport;

/// <summary>
/// GraphQL over HTTP (https://graphql.github.io/graphql-over-http/draft/) for GET and POST,
/// executed through the DI-registered <see cref="IDocumentExecuter{TSchema}"/>.
/// </summary>
public static class GraphQLHttpEndpoint
{
    private const string GraphQLResponseJson = "application/graphql-response+json";
    private const string Json = "application/json";
    private const int MaxBodyBytes = 1024 * 1024;

    public static IEndpointRouteBuilder MapGraphQLHttp(
        this IEndpointRouteBuilder app,
        string path = "/graphql",
        Func<HttpContext, Task>? browserPage = null,
        Action<ExecutionOptions, HttpContext>? configure = null,
        Func<HttpContext, bool>? isAuthenticated = null)
    {
        app.MapMethods(path, [HttpMethods.Get, HttpMethods.Post], ctx => HandleAsync(ctx, browserPage, configure, isAuthenticated));
        return app;
    }

    private static async Task HandleAsync(HttpContext ctx, Func<HttpContext, Task>? browserPage, Action<ExecutionOptions, HttpContext>? configure,
                                          Func<HttpContext, bool>? isAuthenticated)
    {
        var http = ctx.Request;
        var isGet = HttpMethods.IsGet(http.Method);
        if (isGet && browserPage is not null && !http.Query.ContainsKey("query") && AcceptsHtml(http))
        {
            await browserPage(ctx);
            return;
        }

        var serializer = ctx.RequestServices.GetRequiredService<IGraphQLTextSerializer>();
        ctx.Response.Headers.Vary = HeaderNames.Accept;
        var mediaType = NegotiateMediaType(http);
        if (mediaType is null)
        {
            await WriteAsync(ctx, serializer, Json, StatusCodes.Status406NotAcceptable,
                new ExecutionResult(new ExecutionError($"Accept must allow {GraphQLResponseJson} or {Json}.") { Code = ErrorCodes.InvalidInput }));
            return;
        }
        // Nothing of the request is read for a caller without verified credentials: 401, with the scheme's challenge.
        if (isAuthenticated is not null && !isAuthenticated(ctx))
        {
            await ctx.ChallengeAsync();
            // A credential that could not be checked (an ingest key while PostgreSQL is unreachable) is no verdict on the caller:
            // the scheme's challenge said 503 with Retry-After, so the caller retries instead of dropping its data.
            if (ctx.Response.StatusCode == StatusCodes.Status503ServiceUnavailable)
            {
                await WriteAsync(ctx, serializer, mediaType, StatusCodes.Status503ServiceUnavailable, new ExecutionResult(
                    new ExecutionError("The credential could not be checked: storage is unavailable; retry shortly.") { Code = ErrorCodes.StorageUnavailable }));
                return;
            }
            await WriteAsync(ctx, serializer, mediaType, StatusCodes.Status401Unauthorized, new ExecutionResult(
                new ExecutionError("Sign in: send a valid token as 'Authorization: Bearer <token>'.") { Code = ErrorCodes.Unauthenticated }));
            return;
        }

        GraphQLRequest request;
        try
        {
            request = isGet ? ReadGet(http, serializer) : await ReadPostAsync(http, serializer, ctx.RequestAborted);
            if (string.IsNullOrWhiteSpace(request.Query))
                throw new BadHttpRequestException("The 'query' parameter must be a non-empty string.");
            // The spec forbids mutations over GET so that links, prefetchers and caches cannot change state.
            if (isGet && OperationTypeOf(request.Query, request.OperationName) == OperationType.Mutation)
            {
                ctx.Response.Headers.Allow = HttpMethods.Post;
                throw new BadHttpRequestException("Mutations must be sent with POST.", StatusCodes.Status405MethodNotAllowed);
            }
        }
        catch (BadHttpRequestException ex)
        {
            // A request that is not a GraphQL request at all (malformed JSON, a trailing value, a wrong content type, too large):
            // the contract's code for bad input, so a client can tell it apart by code, not only by status.
            await WriteAsync(ctx, serializer, mediaType, ex.StatusCode, new ExecutionResult(new ExecutionError(ex.Message) { Code = ErrorCodes.InvalidInput }));
            return;
        }

        var options = GraphQLExecution.Options(request, ctx, ctx.RequestAborted, configure);

        var result = await ctx.RequestServices.GetRequiredService<IDocumentExecuter<ISchema>>().ExecuteAsync(options);
        // A subscription yields observables that nobody on a plain HTTP response could ever consume.
        if (result.Streams is not null)
            result = new ExecutionResult(new ExecutionError("Subscriptions are only supported over WebSocket.") { Code = ErrorCodes.InvalidInput });

        // application/json predates the status code rules, so its clients expect 200 for every well-formed request.
        var status = mediaType == GraphQLResponseJson && !result.Executed ? StatusCodes.Status400BadRequest : StatusCodes.Status200OK;
        // PostgreSQL unreachable or out of connections, or a silo gone mid-call: say so in HTTP too, so clients and
        // load balancers back off and retry.
        if (result.Errors?.Any(e => e.Code is { } code && Retryable.Contains(code)) == true)
        {
            status = StatusCodes.Status503ServiceUnavailable;
            ctx.Response.Headers.RetryAfter = StorageUnavailableException.RetryAfterSeconds;
        }
        // Ingest shedding load: nothing was taken, and the client should back off and send it again.
        else if (result.Errors?.Any(e => e.Code == ErrorCodes.Overloaded) == true)
        {
            status = StatusCodes.Status429TooManyRequests;
            ctx.Response.Headers.RetryAfter = IngestOverloadedException.RetryAfterSeconds;
        }
        await WriteAsync(ctx, serializer, mediaType, status, result);
    }

    /// <summary>Error codes of failures a retry can cure: storage, and a silo that died or left during the call.</summary>
    private static readonly HashSet<string> Retryable = [ErrorCodes.StorageUnavailable, ErrorCodes.Unavailable];

    private static GraphQLRequest ReadGet(HttpRequest http, IGraphQLTextSerializer serializer) => new()
    {
        Query = QueryParameter(http, "query"),
        OperationName = QueryParameter(http, "operationName"),
        Variables = ParseInputs(serializer, QueryParameter(http, "variables"), "variables"),
        Extensions = ParseInputs(serializer, QueryParameter(http, "extensions"), "extensions"),
    };

    private static string? QueryParameter(HttpRequest http, string name) => http.Query[name].Count switch
    {
        0 => null,
        1 => http.Query[name][0],
        _ => throw new BadHttpRequestException($"The '{name}' parameter must not be repeated."),
    };

    private static Inputs? ParseInputs(IGraphQLTextSerializer serializer, string? json, string name)
    {
        try
        {
            return serializer.Deserialize<Inputs>(json);
        }
        catch (JsonException)
        {
            throw new BadHttpRequestException($"The '{name}' parameter must be a JSON object.");
        }
    }

    private static async Task<GraphQLRequest> ReadPostAsync(HttpRequest http, IGraphQLTextSerializer serializer, CancellationToken ct)
    {
        if (!MediaTypeHeaderValue.TryParse(http.ContentType, out var contentType)
            || !contentType.MediaType.Equals(Json, StringComparison.OrdinalIgnoreCase)
            || (contentType.Charset.HasValue && !contentType.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase)))
            throw new BadHttpRequestException($"Content-Type must be {Json} (UTF-8).", StatusCodes.Status415UnsupportedMediaType);

        // Buffer with our own limit: the server-wide limit (Kestrel: 30 MB) is far above what a GraphQL document needs.
        if (http.ContentLength > MaxBodyBytes)
            throw new BadHttpRequestException("Request body too large.", StatusCodes.Status413PayloadTooLarge);
        using var body = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await ReadBodyAsync(http, chunk, ct)) > 0)
        {
            if (body.Length + read > MaxBodyBytes)
                throw new BadHttpRequestException("Request body too large.", StatusCodes.Status413PayloadTooLarge);
            body.Write(chunk, 0, read);
        }
        body.Position = 0;

        try
        {
            return await serializer.ReadAsync<GraphQLRequest>(body, ct)
                ?? throw new BadHttpRequestException("The request body must be a JSON object.");
        }
        // Also covers wrongly typed members (a numeric query, a string for variables), which System.Text.Json wraps, and
        // anything after the object (`{"query":"…"}}`, a second value): the reader insists on the end of the data.
        catch (JsonException)
        {
            throw new BadHttpRequestException("The request body must be a JSON object with a string 'query' and optional 'operationName', 'variables' and 'extensions'.");
        }
    }

    /// <summary>
    /// One read of the body. Kestrel reports most framing errors as BadHttpRequestException, but a chunk size that
    /// overflows (<c>FFFFFFFFFFFFFFFFFF</c>) as an IOException: either is the client's fault, so 400, not 500.
    /// </summary>
    private static async Task<int> ReadBodyAsync(HttpRequest http, byte[] chunk, CancellationToken ct)
    {
        try
        {
            return await http.Body.ReadAsync(chunk, ct);
        }
        catch (IOException) when (!ct.IsCancellationRequested)
        {
            throw new BadHttpRequestException("The request body is malformed (bad chunked encoding).");
        }
    }

    /// <summary>The operation the executor will run, or null when the document does not parse (the executor reports that).</summary>
    private static OperationType? OperationTypeOf(string query, string? operationName)
    {
        try
        {
            var operations = Parser.Parse(query).Definitions.OfType<GraphQLOperationDefinition>();
            var operation = operationName is null
                ? operations.FirstOrDefault()
                : operations.FirstOrDefault(o => o.Name?.StringValue == operationName);
            return operation?.Operation;
        }
        catch (GraphQLParserException)
        {
            return null;
        }
    }

    private static bool AcceptsHtml(HttpRequest http) =>
        http.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Picks the response media type by quality; ties go to application/graphql-response+json.
    /// A missing Accept or a wildcard means application/json, as the spec asks for the benefit of legacy clients.
    /// </summary>
    private static string? NegotiateMediaType(HttpRequest http)
    {
        var accept = http.GetTypedHeaders().Accept;
        if (accept.Count == 0)
            return Json;

        string? best = null;
        double bestQuality = 0;
        foreach (var range in accept)
        {
            var candidate = range.MediaType.Value?.ToLowerInvariant() switch
            {
                GraphQLResponseJson => GraphQLResponseJson,
                Json or "application/*" or "*/*" => Json,
                _ => null,
            };
            var quality = range.Quality ?? 1;
            if (candidate is null || quality <= 0)
                continue;
            if (quality > bestQuality || (quality == bestQuality && candidate == GraphQLResponseJson))
                (best, bestQuality) = (candidate, quality);
        }
        return best;
    }

    private static Task WriteAsync(HttpContext ctx, IGraphQLTextSerializer serializer, string mediaType, int status, ExecutionResult result)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = mediaType + "; charset=utf-8";
        return serializer.WriteAsync(ctx.Response.Body, result, ctx.RequestAborted);
    }
}
