using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Flowstate.Tests.Infrastructure;

/// <summary>GraphQL over HTTP against silo processes, and the waiting that process tests need.</summary>
public sealed class SiloHttp(string token) : IDisposable
{
    private readonly HttpClient _http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) }.SignedIn(token);

    public HttpClient Client => _http;

    /// <summary>One answer: the HTTP status, Retry-After, the first error's code (null when none) and the data.</summary>
    public sealed record Answer(HttpStatusCode Status, string? RetryAfter, string? Code, JsonNode? Data, string Body)
    {
        public bool Ok => Status == HttpStatusCode.OK && Code is null;
    }

    public async Task<Answer> PostAsync(Uri silo, string query, object? variables = null, CancellationToken ct = default)
    {
        using var response = await _http.PostAsJsonAsync(new Uri(silo, "graphql"), new { query, variables }, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        var json = JsonNode.Parse(body);
        return new Answer(response.StatusCode, response.Headers.RetryAfter?.ToString(),
            json?["errors"]?[0]?["extensions"]?["code"]?.GetValue<string>(), json?["data"], body);
    }

    /// <summary>
    /// The data of a request that must succeed. A 503 (a silo became unavailable during the call, or
    /// storage did) is retried after a moment, up to five times, as the contract asks of clients. Set-up
    /// and ingestion are idempotent; a versioned action re-sent after it did land answers
    /// VERSION_CONFLICT, which fails the test loudly rather than counting anything twice.
    /// </summary>
    public async Task<JsonNode> DataAsync(Uri silo, string query, object? variables = null)
    {
        for (var attempt = 1; ; attempt++)
        {
            var answer = await PostAsync(silo, query, variables);
            if (answer.Ok) return answer.Data!;
            if (answer.Status != HttpStatusCode.ServiceUnavailable || attempt == 5)
                throw new InvalidOperationException($"{(int)answer.Status}: {answer.Body}");
            await Task.Delay(TimeSpan.FromSeconds(attempt));
        }
    }

    public async Task<HttpStatusCode> ReadyAsync(Uri silo)
    {
        try
        {
            using var response = await _http.GetAsync(new Uri(silo, "readyz"));
            return response.StatusCode;
        }
        catch (HttpRequestException) { return HttpStatusCode.ServiceUnavailable; }
    }

    /// <summary>Waits for <paramref name="condition"/>, failing with <paramref name="what"/> (and <paramref name="context"/>) after <paramref name="bound"/>.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan bound, string what, Func<string>? context = null)
    {
        for (var waited = Stopwatch.StartNew(); !await condition(); await Task.Delay(200))
            if (waited.Elapsed > bound)
                throw new TimeoutException($"{what}: not within {bound.TotalSeconds:0} s.{(context is null ? "" : "\n" + context())}");
    }

    public void Dispose() => _http.Dispose();
}
