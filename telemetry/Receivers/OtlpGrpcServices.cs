using Flowstate.Telemetry.Otlp;
using Grpc.Core;

namespace Flowstate.Telemetry.Receivers;

/// <summary>
/// OTLP/gRPC (the default protocol of Claude Code and Gemini CLI): the same path as OTLP/HTTP, with
/// failures as gRPC statuses (UNAVAILABLE while storage is unreachable, which OTLP clients retry).
/// </summary>
public static class OtlpGrpc
{
    public static async Task<TResponse> ExportAsync<TResponse>(ServerCallContext context, Func<TelemetryCaller, Task<ExportOutcome>> export,
        Func<ExportOutcome, TResponse> respond)
    {
        var http = context.GetHttpContext();
        var options = (OtlpOptions)http.RequestServices.GetService(typeof(OtlpOptions))!;
        try { return respond(await export(options.Caller(http))); }
        catch (StorageUnavailableException e) { throw new RpcException(new Grpc.Core.Status(StatusCode.Unavailable, e.Message)); }
        // Shedding load is UNAVAILABLE too: the status OTLP exporters retry with backoff (RESOURCE_EXHAUSTED is
        // retried only with a RetryInfo detail, otherwise the data is dropped).
        catch (IngestOverloadedException e) { throw new RpcException(new Grpc.Core.Status(StatusCode.Unavailable, e.Message), Pushback()); }
    }

    /// <summary>gRPC's retry pushback: how long to wait before the retry.</summary>
    public static Metadata Pushback() => new() { { "grpc-retry-pushback-ms", (int.Parse(IngestOverloadedException.RetryAfterSeconds) * 1000).ToString() } };

    /// <summary>Whether a request path is one of the OTLP/gRPC export methods.</summary>
    public static bool IsExportPath(string path) => path.StartsWith("/opentelemetry.proto.collector.", StringComparison.Ordinal);
}

public sealed class OtlpLogsService(OtlpIngest ingest) : LogsService.LogsServiceBase
{
    public override Task<ExportLogsServiceResponse> Export(ExportLogsServiceRequest request, ServerCallContext context) =>
        OtlpGrpc.ExportAsync(context, caller => ingest.ExportAsync(request, null, caller), OtlpIngest.LogsResponse);
}

public sealed class OtlpMetricsService(OtlpIngest ingest) : MetricsService.MetricsServiceBase
{
    public override Task<ExportMetricsServiceResponse> Export(ExportMetricsServiceRequest request, ServerCallContext context) =>
        OtlpGrpc.ExportAsync(context, caller => ingest.ExportAsync(request, null, caller), OtlpIngest.MetricsResponse);
}

public sealed class OtlpTraceService(OtlpIngest ingest) : TraceService.TraceServiceBase
{
    public override Task<ExportTraceServiceResponse> Export(ExportTraceServiceRequest request, ServerCallContext context) =>
        OtlpGrpc.ExportAsync(context, caller => ingest.ExportAsync(request, null, caller), OtlpIngest.TraceResponse);
}
