using System.Security.Claims;
using System.Text.Encodings.Web;
using Flowstate.GraphQL.Types;
using Flowstate.Identity;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;

namespace Flowstate.Silo.Identity;

/// <summary>
/// Ingest keys as an ASP.NET Core authentication scheme. The default scheme is a policy scheme
/// that sends <c>Authorization: Bearer fsk_…</c> to <see cref="IngestKeyHandler"/> and every other
/// credential to the JWT bearer handler, so endpoints and authorization policies see one principal
/// whichever credential it came from.
/// </summary>
public static class IngestKeyAuthentication
{
    /// <summary>The default scheme: picks ingest key or JWT by the credential's shape.</summary>
    public const string Scheme = "flowstate";
    public const string IngestKeyScheme = "ingest-key";

    public static AuthenticationBuilder AddIngestKeys(this AuthenticationBuilder builder)
    {
        builder.AddPolicyScheme(Scheme, "Flowstate (ingest key or JWT)", o => o.ForwardDefaultSelector = http =>
            IngestKeySecrets.IsKey(BearerOf(http)) ? IngestKeyScheme : JwtBearerDefaults.AuthenticationScheme);
        builder.AddScheme<AuthenticationSchemeOptions, IngestKeyHandler>(IngestKeyScheme, "Ingest key", null);
        return builder;
    }

    /// <summary>The scheme that validates <paramref name="credential"/> (a bearer value without "Bearer ").</summary>
    public static string SchemeFor(string credential) => IngestKeySecrets.IsKey(credential) ? IngestKeyScheme : JwtBearerDefaults.AuthenticationScheme;

    /// <summary>The credential of this request: one handed over for a WebSocket's connection_init, else the Authorization header's bearer value.</summary>
    internal static string? BearerOf(HttpContext http)
    {
        if (http.Items.TryGetValue(IdentityHosting.PendingTokenKey, out var pending)) return pending as string;
        var header = http.Request.Headers.Authorization.ToString();
        const string bearer = "Bearer ";
        return header.StartsWith(bearer, StringComparison.OrdinalIgnoreCase) ? header[bearer.Length..].Trim() : null;
    }
}

/// <summary>
/// Authenticates an ingest key: the key's org, <c>sub</c> <c>key:&lt;id&gt;</c> and the key's roles
/// (only ingest and integrator). An unknown or revoked key fails (401), never falls back to
/// anonymous. The key is looked up in PostgreSQL on every request (<see cref="IIngestKeyStore"/>).
/// </summary>
public sealed class IngestKeyHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, IIngestKeyStore keys, IStorageErrors storageErrors)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    /// <summary>Set when the key could not be checked because PostgreSQL is unreachable: the challenge is then 503, not 401.</summary>
    internal const string UnavailableKey = "flowstate.ingest-key-unavailable";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var credential = IngestKeyAuthentication.BearerOf(Context);
        if (!IngestKeySecrets.IsKey(credential)) return AuthenticateResult.NoResult();
        if (credential!.Length > IngestKeySecrets.MaxSecretLength) return AuthenticateResult.Fail("Unknown or revoked ingest key.");
        IngestKeyInfo? key;
        try
        {
            key = await keys.AuthenticateAsync(IngestKeySecrets.Hash(credential), Context.RequestAborted);
        }
        catch (Exception e) when (storageErrors.Translate(e) is StorageUnavailableException)
        {
            // Not a verdict on the key: an agent told 401 would drop its data, one told 503 retries it.
            Context.Items[UnavailableKey] = true;
            return AuthenticateResult.Fail("The ingest key could not be checked: storage is unavailable.");
        }
        // Only the roles a key may hold count, whatever the row says.
        var roles = key?.Roles.Where(IngestKeySecrets.AllowedRoles.Contains).ToList();
        if (key is null || roles is not { Count: > 0 } || !FlowstateUserContext.IsValidOrg(key.Org))
            return AuthenticateResult.Fail("Unknown or revoked ingest key.");
        var claims = new List<Claim>
        {
            new(FlowstateUserContext.Claims.Org, key.Org),
            new(FlowstateUserContext.Claims.Subject, key.Actor),
            new(FlowstateUserContext.Claims.Name, key.Name),
        };
        // The person the key's telemetry falls back to (TelemetryCaller's subject); a key's roles never read a person's data.
        if (key.Subject is { Length: > 0 } person) claims.Add(new Claim(FlowstateUserContext.Claims.Person, person));
        claims.AddRange(roles.Select(r => new Claim(FlowstateUserContext.Claims.Roles, r)));
        var identity = new ClaimsIdentity(claims, Scheme.Name, FlowstateUserContext.Claims.Subject, FlowstateUserContext.Claims.Roles);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
    }

    /// <summary>401 with the bearer challenge, as the JWT handler answers (RFC 6750).</summary>
    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items.ContainsKey(UnavailableKey))
        {
            Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            Response.Headers.RetryAfter = StorageUnavailableException.RetryAfterSeconds;
            return Task.CompletedTask;
        }
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.Append(Microsoft.Net.Http.Headers.HeaderNames.WWWAuthenticate, "Bearer error=\"invalid_token\"");
        return Task.CompletedTask;
    }
}
