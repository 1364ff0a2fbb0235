using Flowstate.Attribution;
using Flowstate.Domain;
using Microsoft.Extensions.Logging;

namespace Flowstate.Workforce;

[GenerateSerializer, Alias("Flowstate.OrgState")]
public sealed class OrgState
{
    [Id(0)] public Dictionary<string, CostCentre> CostCentres { get; set; } = [];
    [Id(1)] public Dictionary<string, Team> Teams { get; set; } = [];
    [Id(2)] public Dictionary<string, PersonRef> People { get; set; } = [];
    [Id(3)] public Dictionary<string, Project> Projects { get; set; } = [];
    [Id(4)] public Dictionary<string, ValueStream> ValueStreams { get; set; } = [];
    [Id(5)] public List<string> ProviderIds { get; set; } = [];
    [Id(6)] public long Version { get; set; }
    [Id(7)] public Dictionary<string, List<Allocation>> Allocations { get; set; } = [];
    /// <summary>Working context (see <see cref="ProjectClassifier.ContextKey"/>) → project, learned from marks.</summary>
    [Id(8)] public Dictionary<string, string> LearnedProjects { get; set; } = [];
    /// <summary>Subject-months still to re-split after a workforce change (written with the change).</summary>
    [Id(9)] public List<Retarget> PendingRetargets { get; set; } = [];
}

/// <summary>A person whose rollups must be re-split for the months <c>From</c>..<c>To</c>.</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.Retarget")]
public sealed record Retarget([property: Id(0)] string PersonId, [property: Id(1)] Period From, [property: Id(2)] Period To);

/// <summary>
/// The org's workforce model and provider list (see <see cref="IOrgGrain"/>). Bounded by the size
/// of the org. Readers see <see cref="_model"/>, which is replaced only after a write succeeds, so
/// interleaved reads never see a change that might not be durable.
/// </summary>
[GrainType("org")]
public sealed class OrgGrain(
    [PersistentState("org", GrainStorage.Name)] IPersistentState<OrgState> state,
    BusinessClock clock,
    ILogger<OrgGrain> logger) : Grain, IOrgGrain
{
    /// <summary>How far back a workforce change re-splits rollups (the longest range is a year).</summary>
    public const int RetargetMonths = 13;
    private const int RetargetParallelism = 32;

    private OrgState S => state.State;
    private WorkforceModel _model = null!;
    private IGrainTimer? _retry;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        Publish();
        // Not awaited here: re-splitting calls subject-months, which read this grain, and no call
        // is delivered before activation completes. A timer turn lets their reads interleave.
        if (S.PendingRetargets.Count > 0) ScheduleRetry();
        return Task.CompletedTask;
    }

    private void ScheduleRetry() =>
        _retry ??= this.RegisterGrainTimer(async () =>
        {
            await RunRetargetsAsync();
            if (S.PendingRetargets.Count == 0) { _retry?.Dispose(); _retry = null; }
        }, TimeSpan.Zero, TimeSpan.FromSeconds(30));

    public async Task<WorkforceCounts> UpsertWorkforceAsync(WorkforceUpsert upsert)
    {
        WorkforceRules.Validate(S, upsert);
        var before = _model;
        foreach (var c in upsert.CostCentres) S.CostCentres[c.Id] = c;
        foreach (var v in upsert.ValueStreams) S.ValueStreams[v.Id] = v;
        foreach (var t in upsert.Teams) S.Teams[t.Id] = t;
        foreach (var p in upsert.Projects) S.Projects[p.Id] = p;
        foreach (var p in upsert.People)
        {
            S.People[p.Id] = p.Ref;
            S.Allocations[p.Id] = p.Allocations.ToList();
        }
        S.PendingRetargets.AddRange(RetargetsOf(before, upsert));
        await WriteAsync();
        await RunRetargetsAsync();
        return Counts();
    }

    public async Task LearnProjectAsync(string contextKey, string projectId)
    {
        if (!S.Projects.ContainsKey(projectId)) throw FlowstateException.NotFound($"No project with id '{projectId}'.");
        if (S.LearnedProjects.GetValueOrDefault(contextKey) == projectId) return;
        S.LearnedProjects[contextKey] = projectId;
        await WriteAsync();
    }

    public Task<WorkforceSnapshot?> GetWorkforceAsync(long knownVersion) =>
        Task.FromResult(knownVersion == _model.Version ? null : _model.Snapshot);

    public Task<RollupPlan> GetRollupPlanAsync(string subjectKey, Period month) => Task.FromResult(_model.PlanFor(subjectKey, month));

    public Task<IReadOnlyList<PersonRef>> GetPeopleAsync(IReadOnlyList<string> personIds) =>
        Task.FromResult<IReadOnlyList<PersonRef>>(personIds.Distinct().Select(id => _model.Snapshot.People.GetValueOrDefault(id))
            .OfType<Person>().Select(p => p.Ref).ToList());

    public Task<WorkforceCounts> GetCountsAsync() => Task.FromResult(Counts());

    public Task<IReadOnlyList<Project>> GetProjectsAsync() => Task.FromResult<IReadOnlyList<Project>>(
        _model.Snapshot.Projects.Values.OrderBy(p => p.Name, StringComparer.OrdinalIgnoreCase).ThenBy(p => p.Id, StringComparer.Ordinal).ToList());

    public async Task AddProviderAsync(string providerId)
    {
        if (S.ProviderIds.Contains(providerId)) return;
        S.ProviderIds.Add(providerId);
        await WriteAsync();
    }

    public Task<IReadOnlyList<string>> GetProviderIdsAsync() => Task.FromResult<IReadOnlyList<string>>(S.ProviderIds.ToList());

    /// <summary>Writes the state and publishes it to readers; a failed write drops the activation so memory is reloaded.</summary>
    private async Task WriteAsync()
    {
        S.Version++;
        try { await state.WriteStateAsync(); }
        catch
        {
            DeactivateOnIdle();
            throw;
        }
        Publish();
    }

    private void Publish()
    {
        var people = S.People.Values.ToDictionary(p => p.Id, p => new Person(p.Id, p.Email, p.Name, p.Kind, S.Allocations.GetValueOrDefault(p.Id) ?? []));
        _model = new WorkforceModel(new WorkforceSnapshot(S.Version,
            new Dictionary<string, CostCentre>(S.CostCentres), new Dictionary<string, Team>(S.Teams), people,
            new Dictionary<string, Project>(S.Projects), new Dictionary<string, ValueStream>(S.ValueStreams),
            new Dictionary<string, string>(S.LearnedProjects)));
    }

    /// <summary>
    /// Who must be re-split after an upsert: a person whose allocations changed, from the month of
    /// the earliest changed effective date (history before it keeps its split); and the members of a
    /// team that moved in the tree or changed cost centre, from the current month on.
    /// </summary>
    private List<Retarget> RetargetsOf(WorkforceModel before, WorkforceUpsert upsert)
    {
        var now = Period.Of(clock.GetUtcNow());
        var floor = Enumerable.Range(0, RetargetMonths - 1).Aggregate(now, (m, _) => m.Month == 1 ? new Period(m.Year - 1, 12) : new Period(m.Year, m.Month - 1));
        var from = new Dictionary<string, Period>(StringComparer.Ordinal);
        void Add(string personId, Period month)
        {
            month = month < floor ? floor : month;
            if (month > now) return;
            from[personId] = from.TryGetValue(personId, out var m) && m < month ? m : month;
        }
        foreach (var p in upsert.People)
        {
            if (!before.Snapshot.People.TryGetValue(p.Id, out var old)) continue; // nobody had rollups under this id yet
            var changed = old.Allocations.Except(p.Allocations).Concat(p.Allocations.Except(old.Allocations)).ToList();
            if (changed.Count > 0) Add(p.Id, Period.Of(changed.Min(a => a.EffectiveFrom)));
        }
        var moved = upsert.Teams.Where(t => before.Snapshot.Teams.TryGetValue(t.Id, out var old) && (old.ParentId != t.ParentId || old.CostCentreId != t.CostCentreId)).ToList();
        if (moved.Count > 0)
        {
            var subtree = moved.SelectMany(t => before.Subtree(t.Id)).ToHashSet(StringComparer.Ordinal);
            foreach (var (personId, allocations) in S.Allocations)
                if (allocations.Any(a => subtree.Contains(a.TeamId))) Add(personId, now);
        }
        return from.Select(f => new Retarget(f.Key, f.Value, now)).ToList();
    }

    /// <summary>Re-splits every pending subject-month, then forgets them; on failure they stay pending for the next activation or upsert.</summary>
    private async Task RunRetargetsAsync()
    {
        var pending = S.PendingRetargets.ToList();
        if (pending.Count == 0) return;
        var org = this.GetPrimaryKeyString();
        var calls = pending.SelectMany(r => Months(r.From, r.To).Select(m => RollupKeys.SubjectMonth(org, SubjectKeys.Person(r.PersonId), m))).Distinct().ToList();
        try
        {
            foreach (var chunk in calls.Chunk(RetargetParallelism))
                await Task.WhenAll(chunk.Select(k => GrainFactory.GetGrain<ISubjectMonthGrain>(k).RetargetAsync()));
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Org {Org}: re-splitting rollups after a workforce change failed; will retry", org);
            ScheduleRetry();
            return;
        }
        S.PendingRetargets.RemoveAll(pending.Contains);
        await WriteAsync();
    }

    private static IEnumerable<Period> Months(Period from, Period to)
    {
        for (var m = from; m <= to; m = m.Next) yield return m;
    }

    private WorkforceCounts Counts() => new(S.CostCentres.Count, S.Teams.Count, S.People.Count, S.Projects.Count, S.ValueStreams.Count);
}
