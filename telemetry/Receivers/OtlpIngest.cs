using System.Text;
using Flowstate.Ingestion;
using Flowstate.Telemetry.Mapping;
using Flowstate.Telemetry.Otlp;
using Google.Protobuf;

namespace Flowstate.Telemetry.Receivers;

/// <summary>How an export went: records rejected, and a message saying why (OTLP's partial success).</summary>
public readonly record struct ExportOutcome(int Accepted, int Duplicates, int Rejected, string? Message);

/// <summary>
/// The receivers' shared path (HTTP and gRPC alike): map the export's records to agent calls, append
/// them to the ingest log through the org's ingestion grain, and say which records were rejected and why.
/// </summary>
public sealed class OtlpIngest(IGrainFactory grains)
{
    /// <summary>Reasons listed in a partial success's message (the count covers all).</summary>
    private const int ReasonsShown = 20;

    public Task<ExportOutcome> ExportAsync(ExportLogsServiceRequest request, IReadOnlyDictionary<int, string>? malformed, TelemetryCaller caller) =>
        ExportAsync(OtlpRecords.Of(request), malformed, caller);

    public Task<ExportOutcome> ExportAsync(ExportMetricsServiceRequest request, IReadOnlyDictionary<int, string>? malformed, TelemetryCaller caller) =>
        ExportAsync(OtlpRecords.Of(request), malformed, caller);

    public Task<ExportOutcome> ExportAsync(ExportTraceServiceRequest request, IReadOnlyDictionary<int, string>? malformed, TelemetryCaller caller) =>
        ExportAsync(OtlpRecords.Of(request), malformed, caller);

    private async Task<ExportOutcome> ExportAsync(IEnumerable<TelemetryRecord> records, IReadOnlyDictionary<int, string>? malformed, TelemetryCaller caller)
    {
        var (calls, rejections) = AgentMapper.Map(records, malformed ?? new Dictionary<int, string>());
        var result = calls.Count == 0 ? new IngestResult(0, 0, [])
            : await grains.GetGrain<IIngestionGrain>(caller.Org).IngestTelemetryAsync(new TelemetryBatch(calls, caller.Subject));
        var reasons = rejections.Select(r => (r.Index, r.Message))
            .Concat(result.Rejected.Select(r => (r.Index, $"{r.Code}: {r.Message}")))
            .OrderBy(r => r.Index).ToList();
        return new ExportOutcome(result.Accepted, result.Duplicates, reasons.Count, reasons.Count == 0 ? null : Describe(reasons));
    }

    private static string Describe(List<(int Index, string Message)> reasons)
    {
        var text = new StringBuilder($"{reasons.Count} record(s) rejected: ");
        text.AppendJoin("; ", reasons.Take(ReasonsShown).Select(r => $"#{r.Index} {r.Message}"));
        if (reasons.Count > ReasonsShown) text.Append($"; and {reasons.Count - ReasonsShown} more");
        return text.ToString();
    }

    public static ExportLogsServiceResponse LogsResponse(ExportOutcome o) => o.Message is null ? new()
        : new() { PartialSuccess = new ExportLogsPartialSuccess { RejectedLogRecords = o.Rejected, ErrorMessage = o.Message } };

    public static ExportMetricsServiceResponse MetricsResponse(ExportOutcome o) => o.Message is null ? new()
        : new() { PartialSuccess = new ExportMetricsPartialSuccess { RejectedDataPoints = o.Rejected, ErrorMessage = o.Message } };

    public static ExportTraceServiceResponse TraceResponse(ExportOutcome o) => o.Message is null ? new()
        : new() { PartialSuccess = new ExportTracePartialSuccess { RejectedSpans = o.Rejected, ErrorMessage = o.Message } };

    /// <summary>For tests and tools: the response message of a signal as its type.</summary>
    public static IMessage Response(string signal, ExportOutcome o) => signal switch
    {
        "logs" => LogsResponse(o),
        "metrics" => MetricsResponse(o),
        _ => TraceResponse(o),
    };
}
