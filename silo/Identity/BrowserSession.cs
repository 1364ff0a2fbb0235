using System.Security.Claims;
using Flowstate.GraphQL.Types;
using Flowstate.Silo.Hosting;
using Flowstate.Silo.Options;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;

namespace Flowstate.Silo.Identity;

/// <summary>
/// The browser session: a page that holds a token (the sign-in link's <c>#token=…</c> fragment,
/// which never reaches the server) trades it once for an HttpOnly, SameSite=Strict cookie with
/// <c>POST /auth/session</c> (the token in the Authorization header, validated by the same JWT
/// bearer handler as every API call). ASP.NET Core's cookie authentication issues the cookie,
/// protected with the Data Protection keys every silo shares (PostgreSQL); it holds only the key of
/// a session kept in PostgreSQL (<see cref="BrowserSessionStore"/>), which expires with the token.
/// From then on GraphQL (HTTP and WebSocket), GraphiQL, the dashboard and the web app
/// accept the cookie; <c>DELETE /auth/session</c> signs out, <c>GET /auth/me</c> says who is signed in.
/// A request that carries an Authorization header is judged by that header alone, never by a cookie
/// beside it. Cross-site use of the cookie is refused by <see cref="WebSecurity"/>.
/// </summary>
public static class BrowserSession
{
    /// <summary>The cookie scheme; the default scheme forwards to it or to the JWT bearer handler.</summary>
    public const string CookieScheme = CookieAuthenticationDefaults.AuthenticationScheme;
    /// <summary>The default scheme: the session cookie, or the bearer scheme given to <see cref="AddBrowserSession"/>.</summary>
    public const string SelectorScheme = "flowstate-web";
    public const string CookieName = "flowstate.session";
    public const string SessionPath = "/auth/session", MePath = "/auth/me";

    /// <summary>Claims a session keeps of its token: who the caller is, nothing else (no token, no audience).</summary>
    private static readonly string[] Kept =
    [
        FlowstateUserContext.Claims.Org, FlowstateUserContext.Claims.Subject, FlowstateUserContext.Claims.Name,
        FlowstateUserContext.Claims.Roles, FlowstateUserContext.Claims.Person, FlowstateUserContext.Claims.Teams,
    ];

    /// <summary>The default scheme: the bearer token when one is sent, else the session cookie when there is one.</summary>
    public static void Select(AuthenticationOptions auth)
    {
        auth.DefaultScheme = SelectorScheme;
        // Challenges stay the bearer scheme's: 401 with WWW-Authenticate: Bearer, never a redirect to a login page.
        auth.DefaultChallengeScheme = JwtBearerDefaults.AuthenticationScheme;
        auth.DefaultForbidScheme = JwtBearerDefaults.AuthenticationScheme;
    }

    /// <summary>
    /// The cookie scheme and the default scheme in front of it: a request with the session cookie and
    /// no Authorization header goes to the cookie, every other to <paramref name="bearerScheme"/>
    /// (the scheme that judges Authorization headers).
    /// </summary>
    public static AuthenticationBuilder AddBrowserSession(this AuthenticationBuilder auth, string bearerScheme = JwtBearerDefaults.AuthenticationScheme)
    {
        auth.AddPolicyScheme(SelectorScheme, "Session cookie, else the bearer scheme", o =>
            o.ForwardDefaultSelector = http => IsCookieAuthenticated(http.Request) ? CookieScheme : bearerScheme);
        auth.AddCookie(CookieScheme, o =>
        {
            o.Cookie.Name = CookieName;
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.Path = "/";
            o.Cookie.IsEssential = true;
            o.SlidingExpiration = false;   // a session never outlives its token (ExpiresUtc below)
            o.ExpireTimeSpan = TimeSpan.FromDays(30);
            o.Events = new CookieAuthenticationEvents
            {
                OnRedirectToLogin = ctx => { ctx.Response.StatusCode = StatusCodes.Status401Unauthorized; return Task.CompletedTask; },
                OnRedirectToAccessDenied = ctx => { ctx.Response.StatusCode = StatusCodes.Status403Forbidden; return Task.CompletedTask; },
                OnValidatePrincipal = ctx =>
                {
                    if (FlowstateUserContext.FromClaims(ctx.Principal) is null) ctx.RejectPrincipal();
                    return Task.CompletedTask;
                },
            };
        });
        auth.Services.AddSingleton<BrowserSessionStore>();
        auth.Services.AddOptions<CookieAuthenticationOptions>(CookieScheme).Configure<IOptions<WebOptions>, BrowserSessionStore>((cookie, web, store) =>
        {
            cookie.Cookie.SecurePolicy = web.Value.SecureCookieAlways ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
            cookie.SessionStore = store;   // the cookie holds a key; signing out ends the session everywhere
        });
        return auth;
    }

    /// <summary>Whether the request's credentials are the session cookie: it has one, and no Authorization header.</summary>
    public static bool IsCookieAuthenticated(HttpRequest request) =>
        request.Headers.Authorization.Count == 0 && request.Cookies.ContainsKey(CookieName);

    public static IEndpointRouteBuilder MapBrowserSession(this IEndpointRouteBuilder app)
    {
        app.MapPost(SessionPath, (Delegate)SignInAsync);   // (Delegate): the returned IResult is written
        app.MapDelete(SessionPath, async (HttpContext http) =>
        {
            await http.SignOutAsync(CookieScheme);
            http.Response.Headers.CacheControl = "no-store";
            http.Response.StatusCode = StatusCodes.Status204NoContent;
        });
        app.MapGet(MePath, (HttpContext http) =>
        {
            http.Response.Headers.CacheControl = "no-store";
            return FlowstateUserContext.FromClaims(http.User) is { } caller
                ? Results.Json(Viewer(caller))
                : Unauthenticated(http, "Not signed in.");
        });
        return app;
    }

    private static async Task<IResult> SignInAsync(HttpContext http)
    {
        http.Response.Headers.CacheControl = "no-store";
        if (http.Request.Headers.Authorization.Count == 0)
            return Unauthenticated(http, "Send the token as 'Authorization: Bearer <token>' to start a session.");
        var result = await http.AuthenticateAsync(JwtBearerDefaults.AuthenticationScheme);
        if (!result.Succeeded || FlowstateUserContext.FromClaims(result.Principal) is not { } caller)
            return Unauthenticated(http, "The token is not valid: sign in again with a fresh link or token.");
        var identity = new ClaimsIdentity(result.Principal!.Claims.Where(c => Kept.Contains(c.Type)).Select(c => new Claim(c.Type, c.Value)),
            "session", FlowstateUserContext.Claims.Subject, FlowstateUserContext.Claims.Roles);
        var expires = result.Properties?.ExpiresUtc
            ?? (long.TryParse(result.Principal.FindFirst("exp")?.Value, out var exp) ? DateTimeOffset.FromUnixTimeSeconds(exp) : null);
        if (expires is null) return Unauthenticated(http, "The token has no expiry.");
        await http.SignInAsync(CookieScheme, new ClaimsPrincipal(identity), new AuthenticationProperties
        {
            ExpiresUtc = expires, IssuedUtc = DateTimeOffset.UtcNow, IsPersistent = false, AllowRefresh = false,
        });
        return Results.Json(Viewer(caller));
    }

    /// <summary>
    /// Who the request's session cookie signs in now, read from the session store itself: null once
    /// the session was signed out or has expired. For a request whose response has started (an open
    /// WebSocket), where the cookie handler cannot run. Throws <see cref="StorageUnavailableException"/>
    /// when PostgreSQL cannot be reached.
    /// </summary>
    public static async Task<ClaimsPrincipal?> CurrentPrincipalAsync(HttpContext http)
    {
        var options = http.RequestServices.GetRequiredService<IOptionsMonitor<CookieAuthenticationOptions>>().Get(CookieScheme);
        var cookie = options.CookieManager.GetRequestCookie(http, options.Cookie.Name!);
        var key = cookie is null ? null : options.TicketDataFormat.Unprotect(cookie)?.Principal.FindFirst(SessionIdClaim)?.Value;
        if (key is null || options.SessionStore is not { } store) return null;
        return (await store.RetrieveAsync(key))?.Principal;
    }

    /// <summary>The claim in which the cookie handler keeps a session's key (ASP.NET Core's CookieAuthenticationHandler).</summary>
    private const string SessionIdClaim = "Microsoft.AspNetCore.Authentication.Cookies-SessionId";

    private static object Viewer(FlowstateUserContext caller) => new
    {
        org = caller.Org, sub = caller.Actor, name = caller.Name, roles = caller.Roles.Order(StringComparer.Ordinal).ToArray(),
        person = caller.Person, teams = caller.Teams,
    };

    private static IResult Unauthenticated(HttpContext http, string message)
    {
        http.Response.Headers.WWWAuthenticate = "Bearer";
        return HttpErrors.Result(StatusCodes.Status401Unauthorized, ErrorCodes.Unauthenticated, message);
    }
}
