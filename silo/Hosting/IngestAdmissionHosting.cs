using Flowstate.Ingestion;
using Flowstate.Telemetry.Receivers;

namespace Flowstate.Silo.Hosting;

/// <summary>
/// The OTLP receivers' admission, before a body is read: while the fold is behind its bounds, storage
/// is down, or <see cref="IngestOptions.MaxRequestsInFlight"/> exports are already being read on this
/// silo, an export is answered at once — OTLP/HTTP 429 (503 for storage) with Retry-After and a
/// google.rpc.Status body, OTLP/gRPC UNAVAILABLE with a retry pushback — so a flood never holds more
/// bodies in memory than the slots allow. ingestSessions is admitted by the ingestion grain itself.
/// </summary>
public static class IngestAdmissionHosting
{
    public static IApplicationBuilder UseIngestAdmission(this IApplicationBuilder app) =>
        app.UseWhen(http => HttpMethods.IsPost(http.Request.Method) && IsExport(http.Request.Path), branch => branch.Use(async (http, next) =>
        {
            var admission = http.RequestServices.GetRequiredService<IngestAdmission>();
            IDisposable? slot;
            try
            {
                admission.Refuse("request");
                slot = admission.TryEnterRequest();
            }
            catch (StorageUnavailableException e)
            {
                await RefuseAsync(http, StatusCodes.Status503ServiceUnavailable, StorageUnavailableException.RetryAfterSeconds, e.Message);
                return;
            }
            catch (IngestOverloadedException e)
            {
                await RefuseAsync(http, StatusCodes.Status429TooManyRequests, IngestOverloadedException.RetryAfterSeconds, e.Message);
                return;
            }
            if (slot is null)
            {
                await RefuseAsync(http, StatusCodes.Status429TooManyRequests, IngestOverloadedException.RetryAfterSeconds,
                    "Ingest is overloaded: every export slot of this silo is busy; retry in a moment.");
                return;
            }
            using (slot) await next(http);
        }));

    private static bool IsExport(PathString path) =>
        path.StartsWithSegments("/v1/logs") || path.StartsWithSegments("/v1/metrics") || path.StartsWithSegments("/v1/traces") || OtlpGrpc.IsExportPath(path.Value ?? "");

    private static Task RefuseAsync(HttpContext http, int status, string retryAfter, string message)
    {
        if (OtlpGrpc.IsExportPath(http.Request.Path.Value ?? ""))
        {
            // A trailers-only gRPC answer: UNAVAILABLE, which OTLP exporters retry, after the pushback.
            http.Response.StatusCode = StatusCodes.Status200OK;
            http.Response.ContentType = "application/grpc";
            http.Response.Headers["grpc-status"] = "14";
            http.Response.Headers["grpc-message"] = Uri.EscapeDataString(message);
            http.Response.Headers["grpc-retry-pushback-ms"] = (int.Parse(retryAfter) * 1000).ToString();
            return Task.CompletedTask;
        }
        http.Response.Headers.RetryAfter = retryAfter;
        return OtlpHttpEndpoints.FailAsync(http, OtlpHttpEndpoints.IsJson(http.Request.ContentType), status, message);
    }
}
