using Flowstate.Durable;
using Flowstate.Attribution;
using Orleans.Concurrency;

namespace Flowstate.Workforce;

/// <summary>
/// The org: its workforce model (cost centres, team tree, value streams, people with their FTE
/// allocations, projects, learned project contexts) and the list of its providers. Key: the org
/// id. Writes are rare (workforce uploads, provider configuration, project marks); reads come
/// from every ingest and rollup push, so they interleave and always see the last durable version.
/// A workforce change re-splits the affected subject-months' rollups before it returns.
/// </summary>
[Alias("Flowstate.IOrgGrain")]
public interface IOrgGrain : IDurableGrain
{
    /// <summary>Validates the whole upsert first, then merges it; on any error nothing changes.</summary>
    [Alias("UpsertWorkforce")] Task<WorkforceCounts> UpsertWorkforceAsync(WorkforceUpsert upsert);

    /// <summary>The whole model, or null when the caller already holds <paramref name="knownVersion"/>.</summary>
    [Alias("GetWorkforce"), AlwaysInterleave] Task<WorkforceSnapshot?> GetWorkforceAsync(long knownVersion);

    /// <summary>How a subject's usage in a month splits over teams and cost centres.</summary>
    [Alias("GetRollupPlan"), AlwaysInterleave] Task<RollupPlan> GetRollupPlanAsync(string subjectKey, Period month);

    /// <summary>Index entries of the given people; unknown ids are left out.</summary>
    [Alias("GetPeople"), AlwaysInterleave] Task<IReadOnlyList<PersonRef>> GetPeopleAsync(IReadOnlyList<string> personIds);

    [Alias("GetCounts"), AlwaysInterleave] Task<WorkforceCounts> GetCountsAsync();

    /// <summary>The org's projects, by name (what a person picks from to mark a session).</summary>
    [Alias("GetProjects"), AlwaysInterleave] Task<IReadOnlyList<Project>> GetProjectsAsync();

    /// <summary>Remembers that sessions with this working context belong to the project (NOT_FOUND for an unknown project).</summary>
    [Alias("LearnProject")] Task LearnProjectAsync(string contextKey, string projectId);

    [Alias("AddProvider")] Task AddProviderAsync(string providerId);

    [Alias("GetProviderIds"), AlwaysInterleave] Task<IReadOnlyList<string>> GetProviderIdsAsync();

    /// <summary>
    /// Whether <paramref name="teamId"/> (when given) is in the sub-tree of one of <paramref name="roots"/>, and
    /// <paramref name="personId"/> (when given) has an allocation to a team there: what a manager may see.
    /// </summary>
    [Alias("IsWithinTeams"), AlwaysInterleave] Task<bool> IsWithinTeamsAsync(IReadOnlyList<string> roots, string? teamId, string? personId);

    /// <summary>Sets the org's plan (configureOrg, admins only); returns the settings as stored.</summary>
    [Alias("Configure")] Task<OrgSettings> ConfigureAsync(OrgPlan plan, string actor);

    /// <summary>The org's settings: STANDARD and not configured until an admin configures it.</summary>
    [Alias("GetSettings"), AlwaysInterleave] Task<OrgSettings> GetSettingsAsync();
}
