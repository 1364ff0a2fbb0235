using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Flowstate.Connectors.Http;

/// <summary>
/// Logs every attempt (so every retry too) with method, path, query, status and time. Headers are
/// never logged: the credential travels only in a header, never in a URL.
/// </summary>
internal sealed class RequestLogHandler(ConnectorKind kind, ILogger logger) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var response = await base.SendAsync(request, cancellationToken);
            logger.LogInformation("{Provider} {Method} {Path} -> {Status} in {Elapsed:0} ms", ConnectorException.Name(kind), request.Method,
                request.RequestUri?.PathAndQuery, (int)response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return response;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            logger.LogWarning("{Provider} {Method} {Path} -> {Error} after {Elapsed:0} ms", ConnectorException.Name(kind), request.Method,
                request.RequestUri?.PathAndQuery, e.GetType().Name, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            throw;
        }
    }
}
