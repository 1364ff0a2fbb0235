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
}

/// <summary>
/// The org's workforce index and provider list (see <see cref="IOrgGrain"/>). Bounded by the
/// size of the org. Calls person grains only after its own state is written; persons never call back.
/// </summary>
[GrainType("org")]
public sealed class OrgGrain([PersistentState("org", GrainStorage.Name)] IPersistentState<OrgState> state) : Grain, IOrgGrain
{
    private OrgState S => state.State;
    private PersonDirectory? _directory;

    public async Task<WorkforceCounts> UpsertWorkforceAsync(WorkforceUpsert upsert)
    {
        WorkforceRules.Validate(S, upsert);
        foreach (var c in upsert.CostCentres) S.CostCentres[c.Id] = c;
        foreach (var v in upsert.ValueStreams) S.ValueStreams[v.Id] = v;
        foreach (var t in upsert.Teams) S.Teams[t.Id] = t;
        foreach (var p in upsert.Projects) S.Projects[p.Id] = p;
        foreach (var p in upsert.People) S.People[p.Id] = new PersonRef(p.Id, p.Email, p.Name, p.Kind);
        S.Version++;
        await state.WriteStateAsync();
        _directory = null;
        // Person grains are written after the index; a crash in between is repaired by re-sending the upsert.
        await Task.WhenAll(upsert.People.Select(p =>
            GrainFactory.GetGrain<IPersonGrain>(GrainKeys.Join(this.GetPrimaryKeyString(), p.Id)).UpsertAsync(p)));
        return Counts();
    }

    public Task<PersonDirectory> GetDirectoryAsync()
    {
        if (_directory is null)
        {
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in S.People.Values)
            {
                map[p.Id.ToLowerInvariant()] = p.Id;
                if (p.Email is not null) map[p.Email.Trim().ToLowerInvariant()] = p.Id;
            }
            _directory = new PersonDirectory(map, S.Version);
        }
        return Task.FromResult(_directory);
    }

    public Task<IReadOnlyList<PersonRef>> GetPeopleAsync(IReadOnlyList<string> personIds) =>
        Task.FromResult<IReadOnlyList<PersonRef>>(personIds.Distinct().Select(id => S.People.GetValueOrDefault(id)).OfType<PersonRef>().ToList());

    public Task<WorkforceCounts> GetCountsAsync() => Task.FromResult(Counts());

    public async Task AddProviderAsync(string providerId)
    {
        if (S.ProviderIds.Contains(providerId)) return;
        S.ProviderIds.Add(providerId);
        await state.WriteStateAsync();
    }

    public Task<IReadOnlyList<string>> GetProviderIdsAsync() => Task.FromResult<IReadOnlyList<string>>(S.ProviderIds.ToList());

    private WorkforceCounts Counts() => new(S.CostCentres.Count, S.Teams.Count, S.People.Count, S.Projects.Count, S.ValueStreams.Count);
}

/// <summary>One person's profile and allocations (see <see cref="IPersonGrain"/>).</summary>
[GrainType("person")]
public sealed class PersonGrain([PersistentState("person", GrainStorage.Name)] IPersistentState<PersonHolder> state) : Grain, IPersonGrain
{
    public async Task UpsertAsync(Person person)
    {
        if (state.State.Person == person) return;
        state.State.Person = person;
        await state.WriteStateAsync();
    }

    public Task<Person?> GetAsync() => Task.FromResult(state.State.Person);
}

[GenerateSerializer, Alias("Flowstate.PersonHolder")]
public sealed class PersonHolder
{
    [Id(0)] public Person? Person { get; set; }
}
