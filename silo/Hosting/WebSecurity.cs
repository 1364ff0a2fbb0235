using System.Net;
using System.Threading.RateLimiting;
using Flowstate.GraphQL.Transport;
using Flowstate.GraphQL.Types;
using Flowstate.Silo.Identity;
using Flowstate.Silo.Options;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Flowstate.Silo.Hosting;

/// <summary>
/// What protects browsers and the silo from callers: security headers on every response, refusal of
/// cross-site use of the session cookie (CSRF) and of WebSockets from foreign origins, and
/// per-identity rate limits (ASP.NET Core's rate limiter). Settings: <see cref="WebOptions"/>.
/// </summary>
public static class WebSecurity
{
    /// <summary>
    /// One policy for every page the silo serves (the web app, GraphiQL, the Orleans dashboard): code,
    /// styles, fonts and connections only from this origin (WebSockets included), no framing, no plugins.
    /// Inline styles are allowed because GraphiQL and the dashboard set style attributes; inline scripts are not.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data:; font-src 'self' data:; " +
        "style-src 'self' 'unsafe-inline'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    public static IServiceCollection AddFlowstateWebSecurity(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<WebOptions>().Bind(configuration.GetSection(WebOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<WebOptions>, WebOptionsValidator>();
        services.AddSingleton<OriginPolicy>();
        services.AddSingleton<WebSocketLimits>();
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<WebOptions>>((limiter, web) =>
        {
            var limits = web.Value.RateLimits;
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http => IsOpen(http.Request)
                ? RateLimitPartition.GetNoLimiter("")
                : RateLimitPartition.GetFixedWindowLimiter(CallerKey(http), _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = limits.PermitsPerWindow, Window = TimeSpan.FromSeconds(limits.WindowSeconds), QueueLimit = 0, AutoReplenishment = true,
                }));
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = (rejected, ct) =>
            {
                var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)) : limits.WindowSeconds;
                rejected.HttpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return new ValueTask(HttpErrors.WriteAsync(rejected.HttpContext, StatusCodes.Status429TooManyRequests, ErrorCodes.RateLimited,
                    $"Too many requests: at most {limits.PermitsPerWindow} per {limits.WindowSeconds} s for one caller. Retry after {seconds} s."));
            };
        });
        return services;
    }

    /// <summary>Probes and static files are never limited: a load balancer or a page load must not spend a caller's requests.</summary>
    private static bool IsOpen(HttpRequest request) =>
        request.Path.StartsWithSegments("/healthz") || request.Path.StartsWithSegments("/readyz")
        || request.Path.StartsWithSegments("/assets") || request.Path.StartsWithSegments("/graphiql");

    /// <summary>The rate-limit partition of a request: its org and subject, or for a caller without credentials its IP address.</summary>
    public static string CallerKey(HttpContext http) => FlowstateUserContext.FromClaims(http.User) is { } caller
        ? CallerKey(caller)
        : "ip\n" + (http.Connection.RemoteIpAddress ?? IPAddress.None);

    public static string CallerKey(FlowstateUserContext caller) => caller.Org + "\n" + caller.Actor;

    /// <summary>Security headers on every response, set as it starts (so errors, static files and the dashboard carry them too).</summary>
    public static WebApplication UseSecurityHeaders(this WebApplication app)
    {
        app.Use((http, next) =>
        {
            http.Response.OnStarting(static state =>
            {
                var http = (HttpContext)state;
                var headers = http.Response.Headers;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "same-origin";
                headers["Cross-Origin-Opener-Policy"] = "same-origin";
                headers["Cross-Origin-Resource-Policy"] = "same-origin";
                if (!headers.ContainsKey("Content-Security-Policy")) headers.ContentSecurityPolicy = ContentSecurityPolicy;
                if (http.Request.IsHttps) headers.StrictTransportSecurity = "max-age=31536000";
                return Task.CompletedTask;
            }, http);
            return next(http);
        });
        return app;
    }

    /// <summary>
    /// PostgreSQL unreachable while a request is authenticated (a browser session is looked up) or
    /// answered outside GraphQL: 503 with Retry-After and <c>STORAGE_UNAVAILABLE</c>, as GraphQL
    /// answers it, rather than a 500 (or a sign-out).
    /// </summary>
    public static WebApplication UseStorageUnavailableAnswer(this WebApplication app)
    {
        app.Use(async (http, next) =>
        {
            try { await next(http); }
            catch (StorageUnavailableException) when (!http.Response.HasStarted)
            {
                http.Response.Clear();
                http.Response.Headers.RetryAfter = StorageUnavailableException.RetryAfterSeconds;
                await HttpErrors.WriteAsync(http, StatusCodes.Status503ServiceUnavailable, ErrorCodes.StorageUnavailable,
                    "PostgreSQL is unavailable; retry shortly.");
            }
        });
        return app;
    }

    /// <summary>
    /// Runs after authentication: refuses a WebSocket handshake from a foreign origin, and a request
    /// that acts with the session cookie from another site (<see cref="OriginPolicy.IsCrossSite"/>),
    /// with 403 before anything runs. Bearer-token requests are not affected (a browser never adds
    /// an Authorization header to a cross-site request on its own). Also counts WebSockets per client address.
    /// </summary>
    public static WebApplication UseCrossSiteProtection(this WebApplication app)
    {
        var origins = app.Services.GetRequiredService<OriginPolicy>();
        var sockets = app.Services.GetRequiredService<WebSocketLimits>();
        app.Use(async (http, next) =>
        {
            var request = http.Request;
            var upgrade = IsWebSocketUpgrade(request);
            if ((upgrade || BrowserSession.IsCookieAuthenticated(request) || request.Path.StartsWithSegments(BrowserSession.SessionPath))
                && origins.IsCrossSite(request))
            {
                await HttpErrors.WriteAsync(http, StatusCodes.Status403Forbidden, ErrorCodes.Forbidden,
                    upgrade ? "WebSocket connections from this origin are not allowed." : "Cross-site requests may not act with the session cookie.");
                return;
            }
            if (upgrade)
            {
                var lease = sockets.AcquireForClient(http.Connection.RemoteIpAddress);
                if (!lease.IsAcquired)
                {
                    lease.Dispose();
                    http.Response.Headers.RetryAfter = "5";
                    await HttpErrors.WriteAsync(http, StatusCodes.Status429TooManyRequests, ErrorCodes.RateLimited, "Too many WebSocket connections from this address.");
                    return;
                }
                http.Response.RegisterForDispose(lease);   // held while the socket is open: the request lasts as long
            }
            await next(http);
        });
        return app;
    }

    private static bool IsWebSocketUpgrade(HttpRequest request) =>
        request.Headers.Upgrade.ToString().Contains("websocket", StringComparison.OrdinalIgnoreCase)
        || request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpExtendedConnectFeature>() is { IsExtendedConnect: true };

    /// <summary>
    /// Called once a WebSocket's caller is known (after connection_init): the connection holds one of
    /// the identity's permits until it closes; beyond the limit it is closed with 4429.
    /// </summary>
    public static void HoldWebSocketPermit(HttpContext http, FlowstateUserContext caller)
    {
        var lease = http.RequestServices.GetRequiredService<WebSocketLimits>().AcquireForIdentity(CallerKey(caller));
        if (!lease.IsAcquired)
        {
            lease.Dispose();
            throw new WebSocketRefusedException(4429, "Too many connections for this identity");
        }
        http.Response.RegisterForDispose(lease);
    }
}

/// <summary>Which origins may use the session cookie or open a WebSocket: the silo's own, and <see cref="WebOptions.AllowedOrigins"/>.</summary>
public sealed class OriginPolicy
{
    private readonly HashSet<string> _allowed;

    public OriginPolicy(IOptions<WebOptions> web, FlowstateOptions options)
    {
        _allowed = web.Value.AllowedOrigins.Select(WebOptions.Normalise).OfType<string>()
            .Concat(options.Http.Split(';').Select(WebOptions.Normalise).OfType<string>())
            .ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// Whether <paramref name="origin"/> (an Origin header) is configured as allowed, is the listen URL's,
    /// or names the host the request was addressed to (its Host header). The last is compared without
    /// the scheme so that a TLS-terminating proxy which keeps the Host header needs no setting; a page
    /// on the plain-HTTP twin of an HTTPS site is cross-site to browsers anyway and gets no Strict cookie.
    /// </summary>
    public bool IsAllowed(HttpRequest request, string origin) =>
        WebOptions.Normalise(origin) is { } normal
        && (_allowed.Contains(normal) || (request.Host.HasValue && string.Equals(new Uri(normal).Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase)));

    /// <summary>
    /// Whether a browser sent this request from another site, or from somewhere that cannot be told:
    /// an Origin header that is not allowed (including <c>null</c>); without one, Sec-Fetch-Site
    /// <c>cross-site</c> or <c>same-site</c>; and for a state-changing method with the session cookie,
    /// no proof of the same origin at all.
    /// </summary>
    public bool IsCrossSite(HttpRequest request)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0) return !IsAllowed(request, origin);
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site is "cross-site" or "same-site") return true;
        var changesState = !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method));
        return changesState && BrowserSession.IsCookieAuthenticated(request) && site != "same-origin";
    }
}

/// <summary>Open WebSockets per identity and per client address (<see cref="RateLimitOptions"/>), as concurrency limits.</summary>
public sealed class WebSocketLimits : IDisposable
{
    private readonly PartitionedRateLimiter<string> _perIdentity, _perClient;

    public WebSocketLimits(IOptions<WebOptions> web)
    {
        var limits = web.Value.RateLimits;
        _perIdentity = Concurrency(limits.WebSocketsPerIdentity);
        _perClient = Concurrency(limits.WebSocketsPerClient);
    }

    private static PartitionedRateLimiter<string> Concurrency(int permits) => PartitionedRateLimiter.Create<string, string>(key =>
        RateLimitPartition.GetConcurrencyLimiter(key, _ => new ConcurrencyLimiterOptions { PermitLimit = permits, QueueLimit = 0 }));

    public RateLimitLease AcquireForIdentity(string caller) => _perIdentity.AttemptAcquire(caller);

    public RateLimitLease AcquireForClient(IPAddress? address) => _perClient.AttemptAcquire((address ?? IPAddress.None).ToString());

    public void Dispose()
    {
        _perIdentity.Dispose();
        _perClient.Dispose();
    }
}

/// <summary>Errors outside GraphQL in the GraphQL error shape, with a stable code.</summary>
public static class HttpErrors
{
    public static Task WriteAsync(HttpContext http, int status, string code, string message)
    {
        http.Response.StatusCode = status;
        http.Response.Headers.CacheControl = "no-store";
        return http.Response.WriteAsJsonAsync(Body(code, message));
    }

    public static IResult Result(int status, string code, string message) => Results.Json(Body(code, message), statusCode: status);

    private static object Body(string code, string message) => new { errors = new[] { new { message, extensions = new { code } } } };
}
