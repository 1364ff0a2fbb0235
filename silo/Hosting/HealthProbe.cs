namespace Flowstate.Silo.Hosting;

/// <summary>
/// <c>probe [url]</c>: asks this machine's silo for <c>/healthz</c> and exits 0 when it answers 200
/// (the container image's HEALTHCHECK; the runtime image has no curl). The URL defaults to
/// FLOWSTATE_HTTP, with a wildcard listen address (0.0.0.0, [::], +, *) read as the loopback.
/// </summary>
public static class HealthProbe
{
    public static async Task<int> RunAsync(string? url)
    {
        url ??= Environment.GetEnvironmentVariable("FLOWSTATE_HTTP") is { Length: > 0 } http ? http : "http://127.0.0.1:5080";
        if (!Uri.TryCreate(url.Replace("://+", "://127.0.0.1").Replace("://*", "://127.0.0.1"), UriKind.Absolute, out var uri))
        {
            Console.Error.WriteLine($"probe: '{url}' is not a URL");
            return 2;
        }
        var target = new UriBuilder(uri) { Path = "/healthz" };
        if (target.Host is "0.0.0.0" or "[::]" or "::") target.Host = "127.0.0.1";
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            using var response = await client.GetAsync(target.Uri);
            Console.WriteLine($"{target.Uri}: {(int)response.StatusCode}");
            return response.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            Console.Error.WriteLine($"{target.Uri}: {e.Message}");
            return 1;
        }
    }
}
