using System.Security.Claims;
using System.Text.RegularExpressions;
using GraphQL;
using Orleans;

namespace Flowstate.GraphQL.Types;

/// <summary>
/// Who is asking: one verified identity in one org, built from the claims of a validated token
/// (see <see cref="FromClaims"/>). There is no default: a request without a caller is refused
/// before it runs. Every audit entry records <see cref="Actor"/>.
/// </summary>
public sealed partial class FlowstateUserContext : Dictionary<string, object?>
{
    /// <summary>The claim names of a Flowstate token (DESIGN §7).</summary>
    public static class Claims
    {
        public const string Org = "org";
        public const string Subject = "sub";
        public const string Name = "name";
        public const string Roles = "roles";
        public const string Person = "person";
        public const string Teams = "teams";
    }

    public const int MaxOrgLength = 64;

    /// <summary>The org every grain key, read-model row, cursor and cache of this request is scoped to.</summary>
    public required string Org { get; init; }

    /// <summary>The token's <c>sub</c>: the actor of every audit entry and row event.</summary>
    public required string Actor { get; init; }

    public string Name { get; init; } = "";
    public IReadOnlySet<string> Roles { get; init; } = new HashSet<string>();

    /// <summary>The caller's own person id (what an engineer's usage and marks are limited to).</summary>
    public string? Person { get; init; }

    /// <summary>Team ids whose sub-trees a manager sees.</summary>
    public IReadOnlyList<string> Teams { get; init; } = [];

    public bool IsInRole(string role) => Roles.Contains(role);

    /// <summary>Org ids are grain-key prefixes: short, and of a plain alphabet, so no token can forge a key.</summary>
    public static bool IsValidOrg(string? org) => org is { Length: > 0 and <= MaxOrgLength } && OrgPattern().IsMatch(org);

    /// <summary>
    /// The caller of an authenticated principal, or null when it is not authenticated or lacks a
    /// valid <c>org</c> or a <c>sub</c> (such a token is refused as unauthenticated, never defaulted).
    /// </summary>
    public static FlowstateUserContext? FromClaims(ClaimsPrincipal? user)
    {
        if (user?.Identity?.IsAuthenticated != true) return null;
        var org = user.FindFirst(Claims.Org)?.Value;
        var sub = user.FindFirst(Claims.Subject)?.Value;
        if (!IsValidOrg(org) || string.IsNullOrWhiteSpace(sub)) return null;
        return new FlowstateUserContext
        {
            Org = org!,
            Actor = sub,
            Name = user.FindFirst(Claims.Name)?.Value ?? sub,
            Roles = user.FindAll(Claims.Roles).Select(c => c.Value).ToHashSet(StringComparer.Ordinal),
            Person = user.FindFirst(Claims.Person)?.Value is { Length: > 0 } person ? person : null,
            Teams = user.FindAll(Claims.Teams).Select(c => c.Value).Where(t => t.Length > 0).Distinct().ToList(),
        };
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex OrgPattern();
}

public static class ResolveContextExtensions
{
    /// <summary>The request's caller; a request without one never reaches a resolver (the transports refuse it).</summary>
    public static FlowstateUserContext Caller(this IResolveFieldContext context) =>
        context.UserContext as FlowstateUserContext
        ?? throw new FlowstateException(ErrorCodes.Unauthenticated, "Sign in: this request carries no verified identity.");

    public static IGrainFactory Grains(this IResolveFieldContext context) =>
        (IGrainFactory)context.RequestServices!.GetService(typeof(IGrainFactory))!;
}
