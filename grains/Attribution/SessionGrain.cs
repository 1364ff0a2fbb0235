using Flowstate.Storage;
using Flowstate.Usage;
using Flowstate.Workforce;

namespace Flowstate.Attribution;

/// <summary>
/// Commands on one session (see <see cref="ISessionGrain"/>). No state and not reentrant: its only
/// job is to run the commands on one session one at a time.
/// </summary>
[GrainType("session")]
public sealed class SessionGrain(SessionQueries queries) : Grain, ISessionGrain
{
    private string Org => GrainKeys.OrgOf(this.GetPrimaryKeyString());
    private string SessionId => Uri.UnescapeDataString(GrainKeys.WithoutOrg(this.GetPrimaryKeyString()));

    /// <summary>
    /// Checks first (nothing changes on NOT_FOUND), then: the partition (the money: it re-pushes
    /// the session's rollups), the read model (the table), the classifier (future sessions only).
    /// Each step is idempotent, so a retry after a failure at any step repeats the done ones as
    /// no-ops and finishes the rest.
    /// </summary>
    public async Task<SessionView> MarkProjectAsync(string projectId)
    {
        var row = await queries.GetAsync(Org, SessionId) ?? throw FlowstateException.NotFound($"No session with id '{SessionId}'.");
        var org = GrainFactory.GetGrain<IOrgGrain>(Org);
        var workforce = (await org.GetWorkforceAsync(-1))!;
        if (!workforce.Projects.ContainsKey(projectId)) throw FlowstateException.NotFound($"No project with id '{projectId}'.");

        var partition = GrainFactory.GetGrain<IUsagePartitionGrain>(PartitionKeys.Of(Org, row.ProviderId, row.SubjectKey, Period.Of(row.StartedAt)));
        if (!await partition.SetProjectAsync(SessionId, projectId))
            throw FlowstateException.NotFound($"Session '{SessionId}' is not fully recorded yet (its ingest did not complete); send it again, then mark it.");
        await queries.MarkProjectAsync(Org, SessionId, projectId);
        if (row.ContextKey is { } context) await org.LearnProjectAsync(context, projectId);
        return (await GrainFactory.GetGrain<ISessionQueryGrain>(Org).GetAsync(SessionId, includeIncremental: true))!;
    }
}
