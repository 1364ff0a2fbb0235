using System.Globalization;
using Flowstate.GraphQL.Types;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Flowstate.Silo.Identity;

/// <summary>What a development token says (DESIGN §7 claims), and for how long.</summary>
public sealed record TokenRequest
{
    /// <summary>The org; null or empty leaves the claim out (a token the API refuses, for tests of that).</summary>
    public string? Org { get; init; } = "demo";
    public IReadOnlyList<string> Roles { get; init; } = ["admin"];
    public string? Subject { get; init; }
    public string? Name { get; init; }
    public string? Person { get; init; }
    public IReadOnlyList<string> Teams { get; init; } = [];
    /// <summary>Lifetime from now; negative mints an already expired token (for tests).</summary>
    public TimeSpan Ttl { get; init; } = TimeSpan.FromHours(12);
    /// <summary>Not valid before now + this (for tests of not-yet-valid tokens).</summary>
    public TimeSpan NotBefore { get; init; } = TimeSpan.Zero;
    public string Issuer { get; init; } = IdentityOptions.DevelopmentIssuer;
    public string Audience { get; init; } = IdentityOptions.DevelopmentAudience;

    /// <summary>The <c>sub</c>: as given, else the person, else <c>dev-&lt;first role&gt;</c>.</summary>
    public string EffectiveSubject => Subject ?? Person ?? $"dev-{Roles.FirstOrDefault() ?? "user"}";
}

/// <summary>Mints development tokens signed with <see cref="DevelopmentSigningKey"/> (the <c>token</c> verb, tests, benchmarks).</summary>
public static class DevelopmentTokens
{
    public static string Mint(SecurityKey key, TokenRequest request, DateTimeOffset? now = null)
    {
        var at = (now ?? DateTimeOffset.UtcNow).UtcDateTime;
        var notBefore = at + request.NotBefore;
        var expires = at + request.Ttl;
        var claims = new Dictionary<string, object>
        {
            [FlowstateUserContext.Claims.Subject] = request.EffectiveSubject,
            [FlowstateUserContext.Claims.Name] = request.Name ?? request.EffectiveSubject,
            [FlowstateUserContext.Claims.Roles] = request.Roles.ToArray(),
            [FlowstateUserContext.Claims.Teams] = request.Teams.ToArray(),
        };
        if (!string.IsNullOrEmpty(request.Org)) claims[FlowstateUserContext.Claims.Org] = request.Org;
        if (request.Person is { Length: > 0 } person) claims[FlowstateUserContext.Claims.Person] = person;
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = request.Issuer,
            Audience = request.Audience,
            IssuedAt = at < notBefore ? at : notBefore,
            NotBefore = notBefore < expires ? notBefore : expires.AddSeconds(-1),
            Expires = expires,
            Claims = claims,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256),
        });
    }

    /// <summary>Durations as the CLI takes them: <c>90s</c>, <c>30m</c>, <c>12h</c>, <c>7d</c> (a leading '-' for the past).</summary>
    public static TimeSpan ParseDuration(string text)
    {
        var t = text.Trim();
        var sign = t.StartsWith('-') ? -1 : 1;
        if (sign < 0) t = t[1..];
        if (t.Length >= 2 && double.TryParse(t[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= 0)
        {
            var span = char.ToLowerInvariant(t[^1]) switch
            {
                's' => TimeSpan.FromSeconds(n),
                'm' => TimeSpan.FromMinutes(n),
                'h' => TimeSpan.FromHours(n),
                'd' => TimeSpan.FromDays(n),
                _ => (TimeSpan?)null,
            };
            if (span is { } s) return sign * s;
        }
        throw new FormatException($"'{text}' is not a duration: use e.g. 90s, 30m, 12h or 7d.");
    }
}
