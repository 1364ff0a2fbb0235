using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Http.Resilience;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Flowstate.Connectors.Http;

/// <summary>
/// Sends one provider request through the kind's resilient client and hands back the page as
/// JSON, or throws a <see cref="ConnectorException"/>: 401/403 as a rejected credential, any other
/// failure status (after retries) with its code, a timeout, an unreachable host, or a body that
/// is not JSON (an HTML error page). No message carries the credential or the response body.
/// </summary>
public sealed class ProviderHttp(IHttpClientFactory clients)
{
    public async Task<JsonPage> SendAsync(ConnectorKind kind, Func<HttpRequestMessage> build, string endpoint, int page, CancellationToken ct)
    {
        var at = new PageRef(kind, endpoint, page);
        using var request = build();
        HttpResponseMessage response;
        try
        {
            response = await clients.CreateClient(ConnectorServices.ClientName(kind)).SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
        }
        catch (Exception e) when (e is TimeoutRejectedException || e is TaskCanceledException && !ct.IsCancellationRequested)
        {
            throw at.Error(null, "timed out after retries", inner: e);
        }
        catch (BrokenCircuitException e) { throw at.Error(null, "provider unavailable (circuit open after repeated failures)", inner: e); }
        catch (HttpRequestException e) { throw at.Error(null, $"unreachable ({e.HttpRequestError})", inner: e); }

        using (response)
        {
            var status = (int)response.StatusCode;
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                throw at.Error(null, $"credential rejected (HTTP {status})", status);
            if (!response.IsSuccessStatusCode)
                throw at.Error(null, response.StatusCode == HttpStatusCode.NotFound ? "page missing (HTTP 404)" : $"HTTP {status}{(status >= 500 || status == 429 ? " after retries" : "")}", status);
            var type = response.Content.Headers.ContentType?.MediaType;
            if (type is not null && !type.Contains("json", StringComparison.OrdinalIgnoreCase))
                throw at.Error(null, $"expected JSON, got {type}", status);
            var body = await response.Content.ReadAsStreamAsync(ct);
            try { return new JsonPage(await JsonDocument.ParseAsync(body, cancellationToken: ct), at, NextLink(response)); }
            catch (JsonException e) { throw at.Error(null, $"expected JSON, the body does not parse (line {e.LineNumber + 1})", status); }
        }
    }


    /// <summary>The <c>rel="next"</c> target of a <c>Link</c> header (GitHub's paging), if any.</summary>
    private static Uri? NextLink(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Link", out var values)) return null;
        foreach (var part in values.SelectMany(v => v.Split(',')))
        {
            var pieces = part.Split(';');
            if (pieces.Length < 2 || !pieces.Skip(1).Any(p => p.Trim().Replace(" ", "") is "rel=\"next\"" or "rel=next")) continue;
            var target = pieces[0].Trim().TrimStart('<').TrimEnd('>');
            if (Uri.TryCreate(target, UriKind.RelativeOrAbsolute, out var uri)) return uri;
        }
        return null;
    }
}

/// <summary>One parsed provider page; dispose it once its items are read. <see cref="Next"/> is its Link rel="next", if any.</summary>
public sealed class JsonPage(JsonDocument document, PageRef at, Uri? next = null) : IDisposable
{
    public JsonNode Root { get; } = new(document.RootElement, "", at);
    public Uri? Next { get; } = next;

    public void Dispose() => document.Dispose();
}
