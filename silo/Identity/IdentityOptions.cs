using Microsoft.Extensions.Options;

namespace Flowstate.Silo.Identity;

/// <summary>
/// How callers are authenticated, bound from <c>Flowstate:Identity</c> (environment:
/// <c>Flowstate__Identity__Authority</c>, <c>Flowstate__Identity__Audience</c>). With an authority,
/// tokens are validated against that OIDC issuer's published keys. Without one, and only in the
/// Development environment, against the local development key (<see cref="DevelopmentSigningKey"/>).
/// </summary>
public sealed class IdentityOptions
{
    public const string Section = "Flowstate:Identity";
    public const string DevelopmentIssuer = "flowstate-dev";
    public const string DevelopmentAudience = "flowstate";

    /// <summary>The OIDC issuer URL (its <c>/.well-known/openid-configuration</c> gives the signing keys).</summary>
    public string? Authority { get; set; }

    /// <summary>The audience tokens must be issued for (required with an authority).</summary>
    public string? Audience { get; set; }

    /// <summary>Whether the authority's metadata must come over HTTPS (keep true outside a lab).</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>Tolerated clock difference between the issuer and this silo.</summary>
    public int ClockSkewSeconds { get; set; } = 30;

    public bool UsesDevelopmentKey => string.IsNullOrWhiteSpace(Authority);

    /// <summary>Checks the settings for an environment; each message names the setting.</summary>
    public IEnumerable<string> Problems(bool development)
    {
        if (UsesDevelopmentKey)
        {
            if (!development)
                yield return "Flowstate:Identity:Authority (Flowstate__Identity__Authority) is required outside the Development environment: " +
                             "the OIDC issuer whose tokens the API accepts. For local use run with DOTNET_ENVIRONMENT=Development " +
                             "(./flowstate does) and sign in with tokens from `./flowstate token`.";
        }
        else
        {
            if (!Uri.TryCreate(Authority, UriKind.Absolute, out var authority) || authority.Scheme is not ("https" or "http"))
                yield return $"Flowstate:Identity:Authority must be an absolute URL; got '{Authority}'.";
            else if (RequireHttpsMetadata && authority.Scheme != "https")
                yield return "Flowstate:Identity:Authority must be https (or set Flowstate:Identity:RequireHttpsMetadata=false).";
            if (string.IsNullOrWhiteSpace(Audience))
                yield return "Flowstate:Identity:Audience (Flowstate__Identity__Audience) is required with an authority: the audience the API's tokens are issued for.";
        }
        if (ClockSkewSeconds is < 0 or > 300)
            yield return $"Flowstate:Identity:ClockSkewSeconds must be 0-300; got {ClockSkewSeconds}.";
    }
}

/// <summary>Validates <see cref="IdentityOptions"/> at start (ValidateOnStart): a bad setting stops the host, named.</summary>
public sealed class IdentityOptionsValidator(IHostEnvironment environment) : IValidateOptions<IdentityOptions>
{
    public ValidateOptionsResult Validate(string? name, IdentityOptions options) =>
        options.Problems(environment.IsDevelopment()).ToList() is { Count: > 0 } problems
            ? ValidateOptionsResult.Fail(problems)
            : ValidateOptionsResult.Success;
}
