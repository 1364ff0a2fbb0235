using Flowstate.Durable;

namespace Flowstate.Attribution;

/// <summary>
/// One subject's usage in one month across providers: the child every rollup counts. Key:
/// <c>{org}/{subjectKey}/{yyyy-MM}</c>. It keeps each partition's latest usage (versioned), splits it
/// over the subject's allocations (its rollup plan, from the org), and pushes the shares to the
/// org, cost-centre, team (and ancestors) and project rollups of that month. Bounded by one
/// subject's month. Calls the org (interleaving reads) and rollups; nothing calls back.
/// </summary>
[Alias("Flowstate.ISubjectMonthGrain")]
public interface ISubjectMonthGrain : IDurableGrain
{
    /// <summary>Takes a partition's usage if newer than what it has, then pushes the new shares.</summary>
    [Alias("ApplyUsage")] Task ApplyUsageAsync(PartitionUsage usage);

    /// <summary>Fetches the subject's plan again (the workforce changed) and pushes again if the split moved.</summary>
    [Alias("Retarget")] Task RetargetAsync();

    /// <summary>The subject's own usage in part of the month (the person scope); null when <paramref name="knownVersion"/> is current.</summary>
    [Alias("Summarize")] Task<RollupSlice?> SummarizeAsync(SliceQuery query, long knownVersion);
}

/// <summary>
/// One scope's usage in one month: the org, a cost centre, a team with its sub-teams, or a
/// project. Key: <c>{org}/{scope}/{yyyy-MM}</c> (see <see cref="RollupKeys"/>). Stores each
/// subject-month's latest contribution (version-guarded, in PostgreSQL) and keeps the month's
/// totals in memory, so a drill-down reads pre-aggregated figures and never scans sessions.
/// Calls no grain.
/// </summary>
[Alias("Flowstate.IRollupGrain")]
public interface IRollupGrain : IGrainWithStringKey
{
    /// <summary>Replaces the subject's contribution if this one is newer; returns once durable.</summary>
    [Alias("Apply")] Task ApplyAsync(Contribution contribution);

    /// <summary>The rollup over part of the month, narrowed by a filter; null when <paramref name="knownVersion"/> is current.</summary>
    [Alias("Summarize")] Task<RollupSlice?> SummarizeAsync(SliceQuery query, long knownVersion);

    /// <summary>Subjects and cells held (for operators and the benchmark).</summary>
    [Alias("GetSize")] Task<RollupSize> GetSizeAsync();
}

[GenerateSerializer, Immutable, Alias("Flowstate.RollupSize")]
public sealed record RollupSize([property: Id(0)] int Subjects, [property: Id(1)] int Cells);
