using Flowstate.Attribution;
using Flowstate.GraphQL.Types;
using Flowstate.Workforce;
using GraphQL;

namespace Flowstate.GraphQL.Schema;

/// <summary>
/// The limits inside a field that <see cref="Access"/> lets a role call (DESIGN §7): a manager's
/// attribution and sessions are clamped to the sub-trees of the token's <c>teams</c>, and asking for
/// anything outside them is FORBIDDEN, never an empty answer; an engineer sees, and marks, only the
/// sessions of the token's own <c>person</c>. Admin and finance see the whole org.
/// </summary>
public static class ScopeAccess
{
    public static bool SeesWholeOrg(FlowstateUserContext caller) => caller.IsInRole(Roles.Admin) || caller.IsInRole(Roles.Finance);

    /// <summary>
    /// The scope a caller may ask for: unchanged for the whole-org roles; a manager's pinned to a team they manage,
    /// and any person it names (in the scope, or <paramref name="filterPersonId"/>) one of their teams' people.
    /// </summary>
    public static async Task<Scope> ClampAsync(IResolveFieldContext c, Scope scope, string? filterPersonId = null)
    {
        var caller = c.Caller();
        if (SeesWholeOrg(caller) || !caller.IsInRole(Roles.Manager)) return scope;
        var team = scope.TeamId ?? caller.Teams switch
        {
            [var only] => only,
            [] => throw Forbidden("Your token names no teams, so there is nothing you may see."),
            _ => throw Forbidden($"Name a scope.teamId: you manage {string.Join(", ", caller.Teams)}."),
        };
        var org = c.Grains().GetGrain<IOrgGrain>(caller.Org);
        if (!await org.IsWithinTeamsAsync(caller.Teams, team, null))
            throw Forbidden($"Team '{team}' is outside the teams you manage.");
        foreach (var person in new[] { scope.PersonId, filterPersonId }.OfType<string>().Distinct())
            if (!await org.IsWithinTeamsAsync(caller.Teams, null, person))
                throw Forbidden($"Person '{person}' is outside the teams you manage.");
        return scope with { TeamId = team };
    }

    /// <summary>Whether the caller may see one person's usage and sessions: their own, a manager's team member's, or anyone's for admin and finance.</summary>
    public static async Task<bool> MaySeePersonAsync(IResolveFieldContext c, string? personId)
    {
        var caller = c.Caller();
        if (SeesWholeOrg(caller)) return true;
        if (personId is null) return false;   // a session no person answers to is the org's, not anyone's own
        if (personId == caller.Person) return true;
        return caller.IsInRole(Roles.Manager) && await c.Grains().GetGrain<IOrgGrain>(caller.Org).IsWithinTeamsAsync(caller.Teams, null, personId);
    }

    /// <summary>FORBIDDEN unless the caller may see <paramref name="personId"/> (see <see cref="MaySeePersonAsync"/>).</summary>
    public static async Task RequirePersonAsync(IResolveFieldContext c, string? personId, string what)
    {
        if (!await MaySeePersonAsync(c, personId)) throw Forbidden($"You may not see {what}.");
    }

    public static FlowstateException Forbidden(string message) => new(ErrorCodes.Forbidden, message);
}
