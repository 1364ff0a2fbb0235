using Microsoft.Extensions.Options;

namespace Flowstate.Silo.Options;

/// <summary>
/// Browser-facing settings, bound from <c>Flowstate:Web</c> (environment: <c>Flowstate__Web__…</c>)
/// and validated at start: which origins may act with a session cookie or open a WebSocket, how
/// the session cookie is marked, and the per-identity rate limits.
/// </summary>
public sealed class WebOptions
{
    public const string Section = "Flowstate:Web";

    /// <summary>
    /// Origins (<c>scheme://host[:port]</c>) besides the silo's own that may open a WebSocket or send a
    /// cookie-authenticated state-changing request (<c>Flowstate__Web__AllowedOrigins__0=https://flowstate.example</c>).
    /// The silo's own origin is always allowed: its listen URL and the host a request was addressed to.
    /// </summary>
    public List<string> AllowedOrigins { get; set; } = [];

    /// <summary>Mark the session cookie Secure even on plain-HTTP requests (behind a TLS-terminating proxy). Otherwise Secure when the request is HTTPS.</summary>
    public bool SecureCookieAlways { get; set; }

    public RateLimitOptions RateLimits { get; set; } = new();

    /// <summary>Every problem with the settings; each message names the setting.</summary>
    public IEnumerable<string> Problems()
    {
        foreach (var origin in AllowedOrigins)
            if (Normalise(origin) is null)
                yield return $"{Section}:AllowedOrigins: '{origin}' is not an origin (scheme://host[:port], http or https, no path).";
        foreach (var problem in RateLimits.Problems()) yield return problem;
    }

    /// <summary>An origin in the form browsers send it (lower-case, default port omitted), or null when <paramref name="text"/> is not one.</summary>
    public static string? Normalise(string? text)
    {
        if (!Uri.TryCreate(text?.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")) return null;
        if (uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0) return null;
        return uri.GetLeftPart(UriPartial.Authority).ToLowerInvariant();
    }
}

/// <summary>
/// Per-identity limits (ASP.NET Core's rate limiter): each caller (org and sub; an anonymous one by
/// IP address) may send <see cref="PermitsPerWindow"/> requests per <see cref="WindowSeconds"/>, and
/// hold <see cref="WebSocketsPerIdentity"/> open WebSockets; a client address at most
/// <see cref="WebSocketsPerClient"/>. Beyond a limit: 429 with Retry-After (a socket is refused or
/// closed with 4429). The defaults are far above what one person or integration needs.
/// </summary>
public sealed class RateLimitOptions
{
    public int PermitsPerWindow { get; set; } = 10_000;
    public int WindowSeconds { get; set; } = 1;
    public int WebSocketsPerIdentity { get; set; } = 5_000;
    public int WebSocketsPerClient { get; set; } = 5_000;

    public IEnumerable<string> Problems()
    {
        const string at = WebOptions.Section + ":RateLimits";
        if (PermitsPerWindow < 1) yield return $"{at}:PermitsPerWindow must be at least 1; got {PermitsPerWindow}.";
        if (WindowSeconds is < 1 or > 86_400) yield return $"{at}:WindowSeconds must be 1-86400; got {WindowSeconds}.";
        if (WebSocketsPerIdentity < 1) yield return $"{at}:WebSocketsPerIdentity must be at least 1; got {WebSocketsPerIdentity}.";
        if (WebSocketsPerClient < 1) yield return $"{at}:WebSocketsPerClient must be at least 1; got {WebSocketsPerClient}.";
    }
}

/// <summary>Validates <see cref="WebOptions"/> at start (ValidateOnStart).</summary>
public sealed class WebOptionsValidator : IValidateOptions<WebOptions>
{
    public ValidateOptionsResult Validate(string? name, WebOptions options) =>
        options.Problems().ToList() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
}
