using Flowstate.Telemetry.Otlp;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Flowstate.Telemetry.Receivers;

/// <summary>
/// OTLP/HTTP (DESIGN §9, FORMATS.md §5): POST /v1/logs, /v1/metrics and /v1/traces in
/// application/x-protobuf or application/json, gzip or not. 200 with a partial success naming the
/// rejected records; 400 for a body that is not OTLP; 413 when too large; 415 for another content
/// type; 429 with Retry-After while ingest sheds load; 503 with Retry-After while storage is unreachable. The response has the request's content type.
/// </summary>
public static class OtlpHttpEndpoints
{
    public const string Protobuf = "application/x-protobuf", Json = "application/json";

    /// <summary>Maps the receivers; the returned group is where the host requires its ingest authorization.</summary>
    public static RouteGroupBuilder MapOtlpHttp(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1");
        group.MapPost("/logs", LogsAsync);
        group.MapPost("/metrics", MetricsAsync);
        group.MapPost("/traces", TracesAsync);
        return group;
    }

    private static Task LogsAsync(HttpContext http) => HandleAsync(http, "logs",
        body => (ExportLogsServiceRequest.Parser.ParseFrom(body), null), OtlpJsonReader.ReadLogs, ExportLogs);

    private static Task MetricsAsync(HttpContext http) => HandleAsync(http, "metrics",
        body => (ExportMetricsServiceRequest.Parser.ParseFrom(body), null), OtlpJsonReader.ReadMetrics, ExportMetrics);

    private static Task TracesAsync(HttpContext http) => HandleAsync(http, "traces",
        body => (ExportTraceServiceRequest.Parser.ParseFrom(body), null), OtlpJsonReader.ReadTraces, ExportTraces);

    private static Task<ExportOutcome> ExportLogs(OtlpIngest ingest, ExportLogsServiceRequest r, IReadOnlyDictionary<int, string>? m, TelemetryCaller c) => ingest.ExportAsync(r, m, c);
    private static Task<ExportOutcome> ExportMetrics(OtlpIngest ingest, ExportMetricsServiceRequest r, IReadOnlyDictionary<int, string>? m, TelemetryCaller c) => ingest.ExportAsync(r, m, c);
    private static Task<ExportOutcome> ExportTraces(OtlpIngest ingest, ExportTraceServiceRequest r, IReadOnlyDictionary<int, string>? m, TelemetryCaller c) => ingest.ExportAsync(r, m, c);

    private static async Task HandleAsync<TRequest>(HttpContext http, string signal,
        Func<byte[], (TRequest, IReadOnlyDictionary<int, string>?)> fromProtobuf,
        Func<byte[], (TRequest, IReadOnlyDictionary<int, string>)> fromJson,
        Func<OtlpIngest, TRequest, IReadOnlyDictionary<int, string>?, TelemetryCaller, Task<ExportOutcome>> export)
    {
        var json = IsJson(http.Request.ContentType);
        if (!json && !IsProtobuf(http.Request.ContentType))
        {
            await FailAsync(http, json: true, StatusCodes.Status415UnsupportedMediaType, $"Content-Type must be {Protobuf} or {Json}.");
            return;
        }
        var options = http.RequestServices.GetRequiredService<OtlpOptions>();
        try
        {
            var body = await OtlpBody.ReadAsync(http.Request, options, http.RequestAborted);
            (TRequest Request, IReadOnlyDictionary<int, string>? Malformed) decoded;
            try { decoded = json ? fromJson(body) : fromProtobuf(body); }
            catch (Exception e) when (e is InvalidProtocolBufferException or OtlpJsonReader.NotOtlpException)
            {
                await FailAsync(http, json, StatusCodes.Status400BadRequest, $"The body is not an OTLP {signal} export request: {e.Message}");
                return;
            }
            var outcome = await export(http.RequestServices.GetRequiredService<OtlpIngest>(), decoded.Request, decoded.Malformed, options.Caller(http));
            await WriteAsync(http, json, StatusCodes.Status200OK, OtlpIngest.Response(signal, outcome));
        }
        catch (OtlpBody.BodyException e) { await FailAsync(http, json, e.Status, e.Message); }
        catch (StorageUnavailableException e)
        {
            http.Response.Headers.RetryAfter = StorageUnavailableException.RetryAfterSeconds;
            await FailAsync(http, json, StatusCodes.Status503ServiceUnavailable, e.Message);
        }
        catch (IngestOverloadedException e)
        {
            http.Response.Headers.RetryAfter = IngestOverloadedException.RetryAfterSeconds;
            await FailAsync(http, json, StatusCodes.Status429TooManyRequests, e.Message);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested) { }
        catch (Exception e)
        {
            http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(OtlpHttpEndpoints)).LogError(e, "OTLP {Signal} export failed", signal);
            await FailAsync(http, json, StatusCodes.Status500InternalServerError, "The export could not be stored; retry it.");
        }
    }

    public static bool IsJson(string? contentType) => MediaType(contentType) == Json;
    private static bool IsProtobuf(string? contentType) => MediaType(contentType) == Protobuf;
    private static string MediaType(string? contentType) => (contentType ?? "").Split(';')[0].Trim().ToLowerInvariant();

    /// <summary>A failure with a google.rpc.Status body in the request's encoding.</summary>
    public static Task FailAsync(HttpContext http, bool json, int status, string message) =>
        WriteAsync(http, json, status, new Status { Code = GrpcCode(status), Message = message });

    private static async Task WriteAsync(HttpContext http, bool json, int status, IMessage message)
    {
        http.Response.StatusCode = status;
        if (json)
        {
            http.Response.ContentType = Json;
            // A full success is an empty response message: "{}" as OTLP writes it (the formatter writes "{ }").
            var text = JsonFormatter.Default.Format(message);
            await http.Response.WriteAsync(text == "{ }" ? "{}" : text, http.RequestAborted);
        }
        else
        {
            http.Response.ContentType = Protobuf;
            await http.Response.Body.WriteAsync(message.ToByteArray(), http.RequestAborted);
        }
    }

    /// <summary>The gRPC status code matching an HTTP status (google.rpc.Status carries the gRPC code).</summary>
    private static int GrpcCode(int status) => status switch
    {
        400 or 415 => 3,  // INVALID_ARGUMENT
        401 => 16,        // UNAUTHENTICATED
        403 => 7,         // PERMISSION_DENIED
        408 => 4,         // DEADLINE_EXCEEDED
        413 or 429 => 8,  // RESOURCE_EXHAUSTED
        503 => 14,        // UNAVAILABLE
        _ => 13,          // INTERNAL
    };
}
