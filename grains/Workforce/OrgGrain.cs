using Flowstate.Attribution;
using Flowstate.Domain;
using Flowstate.Durable;

namespace Flowstate.Workforce;

[GenerateSerializer, Alias("Flowstate.OrgState")]
public sealed class OrgState : IDurableState
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
    // [Id(9)] was a hand-written list of pending re-splits, replaced by Outbox (Id 10).
    /// <summary>
    /// Re-splits owed after a workforce change: target <c>"{yyyy-MM} {personId}"</c> is the person's
    /// subject-months from that month to the current one.
    /// </summary>
    [Id(10)] public Outbox Outbox { get; set; } = new();
    [Id(11)] public OrgSettings Settings { get; set; } = new(OrgPlan.Standard);
}

/// <summary>
/// The org's workforce model and provider list (see <see cref="IOrgGrain"/>). Bounded by the size
/// of the org. Readers see <see cref="_model"/>, which is replaced only after a write succeeds, so
/// interleaved reads never see a change that might not be durable. A workforce change owes the
/// affected people's subject-months a re-split (see <see cref="DurableGrain{TState}"/>); they read
/// the new model through the interleaving reads while the org waits for them.
/// </summary>
[GrainType("org")]
public sealed class OrgGrain(
    [PersistentState("org", GrainStorage.Name)] IPersistentState<OrgState> state,
    Durability durability,
    BusinessClock clock) : DurableGrain<OrgState>(state, durability), IOrgGrain
{
    /// <summary>How far back a workforce change re-splits rollups (the longest range is a year).</summary>
    public const int RetargetMonths = 13;
    private const int RetargetParallelism = 32;

    private OrgState S => State;
    private WorkforceModel _model = null!;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        Publish();
        return base.OnActivateAsync(cancellationToken);
    }

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
            S.People[p.Id] = p.Ref with { Aliases = WorkforceRules.StoredAliases(p.Aliases) };
            S.Allocations[p.Id] = p.Allocations.ToList();
        }
        S.Version++;
        foreach (var (personId, from) in RetargetsOf(before, upsert)) Push($"{from} {personId}", S.Version);
        // The upsert is done once stored: a re-split that fails is retried by the org itself.
        await CommitAsync(failOnUndelivered: false);
        return Counts();
    }

    public async Task LearnProjectAsync(string contextKey, string projectId)
    {
        if (!S.Projects.ContainsKey(projectId)) throw FlowstateException.NotFound($"No project with id '{projectId}'.");
        if (S.LearnedProjects.GetValueOrDefault(contextKey) == projectId) return;
        S.LearnedProjects[contextKey] = projectId;
        S.Version++;
        await CommitAsync();
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
        S.Version++;
        await CommitAsync();
    }

    public Task<IReadOnlyList<string>> GetProviderIdsAsync() => Task.FromResult<IReadOnlyList<string>>(S.ProviderIds.ToList());

    public async Task<OrgSettings> ConfigureAsync(OrgPlan plan, string actor)
    {
        if (!Enum.IsDefined(plan)) throw FlowstateException.InvalidInput($"Unknown plan {plan}.");
        if (S.Settings is { Configured: true } same && same.Plan == plan) return same;
        S.Settings = new OrgSettings(plan, true, clock.GetUtcNow(), actor);
        await CommitAsync();
        return S.Settings;
    }

    public Task<OrgSettings> GetSettingsAsync() => Task.FromResult(S.Settings);

    public Task<bool> IsWithinTeamsAsync(IReadOnlyList<string> roots, string? teamId, string? personId)
    {
        var visible = roots.Where(_model.Snapshot.Teams.ContainsKey).SelectMany(_model.Subtree).ToHashSet(StringComparer.Ordinal);
        if (teamId is not null && !visible.Contains(teamId)) return Task.FromResult(false);
        if (personId is not null && !(_model.Snapshot.People.TryGetValue(personId, out var person) && person.Allocations.Any(a => visible.Contains(a.TeamId))))
            return Task.FromResult(false);
        return Task.FromResult(visible.Count > 0);
    }

    /// <summary>Readers see a change once it is stored, and before the re-splits it owes are sent.</summary>
    protected override void OnStored() => Publish();

    private void Publish()
    {
        var people = S.People.Values.ToDictionary(p => p.Id, p => new Person(p.Id, p.Email, p.Name, p.Kind, S.Allocations.GetValueOrDefault(p.Id) ?? [], p.Aliases));
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
    private List<(string PersonId, Period From)> RetargetsOf(WorkforceModel before, WorkforceUpsert upsert)
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
        return from.Select(f => (f.Key, f.Value)).ToList();
    }

    /// <summary>Re-splits one person's subject-months from the target's month to the current one.</summary>
    protected override async Task SendAsync(string target)
    {
        var (from, personId) = (Period.Parse(target[..7]), target[8..]);
        var org = this.GetPrimaryKeyString();
        var keys = Months(from, Period.Of(clock.GetUtcNow())).Select(m => RollupKeys.SubjectMonth(org, SubjectKeys.Person(personId), m));
        foreach (var chunk in keys.Chunk(RetargetParallelism))
            await Task.WhenAll(chunk.Select(k => GrainFactory.GetGrain<ISubjectMonthGrain>(k).RetargetAsync()));
    }

    private static IEnumerable<Period> Months(Period from, Period to)
    {
        for (var m = from; m <= to; m = m.Next) yield return m;
    }

    private WorkforceCounts Counts() => new(S.CostCentres.Count, S.Teams.Count, S.People.Count, S.Projects.Count, S.ValueStreams.Count);
}
