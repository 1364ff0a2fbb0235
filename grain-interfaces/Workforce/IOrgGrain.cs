namespace Flowstate.Workforce;

/// <summary>
/// The org: its workforce model (cost centres, team tree, value streams, people index,
/// projects) and the list of its providers. Key: the org id. Writes are rare (workforce
/// uploads, provider configuration); reads are cached by callers per batch.
/// </summary>
[Alias("Flowstate.IOrgGrain")]
public interface IOrgGrain : IGrainWithStringKey
{
    /// <summary>Validates the whole upsert first, then merges it; on any error nothing changes.</summary>
    [Alias("UpsertWorkforce")] Task<WorkforceCounts> UpsertWorkforceAsync(WorkforceUpsert upsert);

    [Alias("GetDirectory")] Task<PersonDirectory> GetDirectoryAsync();

    /// <summary>Index entries of the given people; unknown ids are left out.</summary>
    [Alias("GetPeople")] Task<IReadOnlyList<PersonRef>> GetPeopleAsync(IReadOnlyList<string> personIds);

    [Alias("GetCounts")] Task<WorkforceCounts> GetCountsAsync();

    [Alias("AddProvider")] Task AddProviderAsync(string providerId);

    [Alias("GetProviderIds")] Task<IReadOnlyList<string>> GetProviderIdsAsync();
}

/// <summary>One person of an org: profile and FTE allocations. Key: <c>{org}/{personId}</c>.</summary>
[Alias("Flowstate.IPersonGrain")]
public interface IPersonGrain : IGrainWithStringKey
{
    [Alias("Upsert")] Task UpsertAsync(Person person);

    [Alias("Get")] Task<Person?> GetAsync();
}
