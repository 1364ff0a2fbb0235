using Flowstate.Durable;

namespace Flowstate.Usage;

/// <summary>
/// The sessions of one subject (a person, or an API key / workspace account) on one provider in
/// one calendar month. Key: <c>{org}/{provider}/{subjectKey}/{yyyy-MM}</c>. Partitioning by
/// subject-month bounds the state; it deduplicates sessions by id, answers matching evidence,
/// orders plan-allowance consumption, and pushes observed cost to the period.
/// Person (and unresolved-subject) partitions count toward the period's observed cost and roll up
/// into their subject-month for attribution; account (API key) partitions are evidence only, since
/// their sessions are already counted for the person. This grain calls only subject-month and
/// period grains, never rows, so rows may call it without a cycle.
/// </summary>
[Alias("Flowstate.IUsagePartitionGrain")]
public interface IUsagePartitionGrain : IDurableGrain
{
    /// <summary>
    /// Sets the given sessions as they now add up (a session folded from the ingest log grows as its
    /// calls arrive; an unchanged one is a no-op) and drops sessions that moved to another partition.
    /// Says which sessions were new here and which registered rows should match again.
    /// </summary>
    [Alias("Fold")] Task<RecordResult> FoldAsync(SessionFold fold);

    /// <summary>Registers a row for late-session notices and returns the evidence it needs.</summary>
    [Alias("Register")] Task<MatchEvidence> RegisterRowAsync(RowRegistration registration);

    /// <summary>Incremental (beyond-allowance) cost of the given sessions, by session id.</summary>
    [Alias("GetIncremental")] Task<IReadOnlyDictionary<string, decimal>> GetIncrementalCostsAsync(IReadOnlyList<string> sessionIds);

    /// <summary>Moves one session to a project (or to none); false when the partition has no such session.</summary>
    [Alias("SetProject")] Task<bool> SetProjectAsync(string sessionId, string? projectId);
}
