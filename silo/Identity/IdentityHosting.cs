using System.Security.Claims;
using Flowstate.GraphQL.Types;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

namespace Flowstate.Silo.Identity;

/// <summary>
/// Authentication with ASP.NET Core's JWT bearer handler: against the OIDC authority when one is
/// configured, else (Development only) against the development key in PostgreSQL. A token is
/// accepted only when signed, unexpired, for this audience and issuer, and naming an org and a
/// subject; anything else is unauthenticated (401), never anonymous.
/// </summary>
public static class IdentityHosting
{
    /// <summary>Authorization policies for endpoints outside GraphQL (the dashboard, metrics, telemetry ingestion).</summary>
    public const string OpsPolicy = "ops", IngestPolicy = "ingest";

    /// <summary>Where a WebSocket's connection_init token waits for the handler (see <see cref="CallerAuthenticator"/>).</summary>
    internal const string PendingTokenKey = "flowstate.pending-token";

    public static IServiceCollection AddFlowstateIdentity(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<IdentityOptions>().Bind(configuration.GetSection(IdentityOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<IdentityOptions>, IdentityOptionsValidator>();
        services.AddSingleton<DevelopmentTokenConfiguration>();
        services.AddSingleton<CallerAuthenticator>();
        // Browsers' session cookie (BrowserSession) in front; any Authorization header goes on to the
        // credential's own scheme: ingest keys (Bearer fsk_…) to their handler, every other bearer to JWT.
        services.AddAuthentication(BrowserSession.Select).AddJwtBearer().AddIngestKeys().AddBrowserSession(bearerScheme: IngestKeyAuthentication.Scheme);
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<IdentityOptions>, IServiceProvider>((jwt, identity, sp) => Configure(jwt, identity.Value, sp));
        services.AddAuthorizationBuilder()
            .AddPolicy(OpsPolicy, p => p.RequireAssertion(ctx => FlowstateUserContext.FromClaims(ctx.User)?.IsInRole("ops") == true))
            .AddPolicy(IngestPolicy, p => p.RequireAssertion(ctx =>
                FlowstateUserContext.FromClaims(ctx.User) is { } caller && (caller.IsInRole("ingest") || caller.IsInRole("admin"))));
        return services;
    }

    private static void Configure(JwtBearerOptions jwt, IdentityOptions identity, IServiceProvider services)
    {
        jwt.MapInboundClaims = false;   // keep the token's own claim names: sub, org, roles, person, teams
        jwt.RefreshOnIssuerKeyNotFound = !identity.UsesDevelopmentKey;
        jwt.TokenValidationParameters = new TokenValidationParameters
        {
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidAudience = identity.Audience ?? IdentityOptions.DevelopmentAudience,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = true,
            ClockSkew = TimeSpan.FromSeconds(identity.ClockSkewSeconds),
            NameClaimType = FlowstateUserContext.Claims.Subject,
            RoleClaimType = FlowstateUserContext.Claims.Roles,
        };
        if (identity.UsesDevelopmentKey)
        {
            jwt.ConfigurationManager = services.GetRequiredService<DevelopmentTokenConfiguration>();
            jwt.TokenValidationParameters.ValidAlgorithms = [SecurityAlgorithms.HmacSha256];
        }
        else
        {
            jwt.Authority = identity.Authority;
            jwt.Audience = identity.Audience;
            jwt.RequireHttpsMetadata = identity.RequireHttpsMetadata;
            jwt.TokenValidationParameters.ValidAlgorithms = [SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.EcdsaSha256];
        }
        jwt.Events = new JwtBearerEvents
        {
            OnMessageReceived = ctx =>
            {
                if (ctx.HttpContext.Items.TryGetValue(PendingTokenKey, out var pending)) ctx.Token = pending as string;
                return Task.CompletedTask;
            },
            OnTokenValidated = ctx =>
            {
                // A signed token that names no valid org or subject acts as nobody: refused, not defaulted.
                if (FlowstateUserContext.FromClaims(ctx.Principal) is null) ctx.Fail("The token must carry an 'org' and a 'sub' claim.");
                return Task.CompletedTask;
            },
        };
    }
}

/// <summary>
/// Authenticates a credential that did not come in the request's headers (a WebSocket's
/// connection_init <c>authorization</c>) through the same handler as HTTP (JWT bearer, or ingest key), with its own
/// handler instance so the upgrade request's own (cached) result is not reused; and an open WebSocket's
/// credentials again, while it lasts.
/// </summary>
public sealed class CallerAuthenticator
{
    public async Task<ClaimsPrincipal?> AuthenticateAsync(HttpContext http, string authorization)
    {
        const string prefix = "Bearer ";
        if (!authorization.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return null;
        var token = authorization[prefix.Length..].Trim();
        http.Items[IdentityHosting.PendingTokenKey] = token;
        try { return await WithFreshHandlerAsync(http, IngestKeyAuthentication.SchemeFor(token)); }
        finally { http.Items.Remove(IdentityHosting.PendingTokenKey); }
    }

    /// <summary>
    /// Authenticates again, with fresh handlers, the credentials a WebSocket was accepted with: its
    /// connection_init <paramref name="authorization"/> when it sent one, else the upgrade request's
    /// own session cookie or Authorization header. Null when they no longer hold (revoked, signed
    /// out, expired); throws <see cref="StorageUnavailableException"/> when they could not be checked.
    /// </summary>
    public async Task<ClaimsPrincipal?> ReauthenticateAsync(HttpContext http, string? authorization)
    {
        http.Items.Remove(IngestKeyHandler.UnavailableKey);
        var principal = authorization is null && BrowserSession.IsCookieAuthenticated(http.Request)
            ? await BrowserSession.CurrentPrincipalAsync(http)
            : await AuthenticateAsync(http, authorization ?? http.Request.Headers.Authorization.ToString());
        if (http.Items.Remove(IngestKeyHandler.UnavailableKey))
            throw new StorageUnavailableException("The ingest key could not be checked: storage is unavailable.");
        return principal;
    }

    /// <summary>
    /// The scheme's verdict from a handler of its own (a new scope): the request's handlers cache
    /// their first result, and a policy scheme would forward to them. Not for the cookie scheme,
    /// whose handler cannot start once the response has (see <see cref="BrowserSession.CurrentPrincipalAsync"/>).
    /// </summary>
    private static async Task<ClaimsPrincipal?> WithFreshHandlerAsync(HttpContext http, string scheme)
    {
        await using var scope = http.RequestServices.CreateAsyncScope();
        var handler = await scope.ServiceProvider.GetRequiredService<IAuthenticationHandlerProvider>().GetHandlerAsync(http, scheme);
        var result = handler is null ? null : await handler.AuthenticateAsync();
        return result is { Succeeded: true } ? result.Principal : null;
    }
}
