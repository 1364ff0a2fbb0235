using Flowstate.Ingestion;
using Flowstate.Workforce;

namespace Flowstate.Attribution;

/// <summary>What the sessions table sorts by; the session id breaks ties, so the order is total.</summary>
public enum SessionSortField { StartedAt = 0, Cost = 1, Tokens = 2, Model = 3 }

public enum SortDirection { Asc = 0, Desc = 1 }

/// <summary>How a session got its project: sent by the agent, inferred from its working context, or marked by a person.</summary>
public enum ProjectSource { Agent = 0, Inferred = 1, Marked = 2 }

[GenerateSerializer, Immutable, Alias("Flowstate.SessionOrder")]
public sealed record SessionOrder([property: Id(0)] SessionSortField Field, [property: Id(1)] SortDirection Direction)
{
    /// <summary>Newest first.</summary>
    public static readonly SessionOrder Default = new(SessionSortField.StartedAt, SortDirection.Desc);
}

/// <summary>Filters of the sessions table; they narrow the scope (all must hold). Null members do not filter.</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.SessionFilter")]
public sealed record SessionFilter(
    [property: Id(0)] string? ProviderId = null,
    [property: Id(1)] string? Model = null,
    [property: Id(2)] string? ProjectId = null,
    [property: Id(3)] string? PersonId = null,
    [property: Id(4)] bool UnmatchedOnly = false)
{
    public static readonly SessionFilter None = new();
}

/// <summary>
/// One page of the sessions of a scope in a window. <c>After</c> is a cursor from an earlier page
/// of the same order. The two flags say what the client selected, so that nothing else is computed:
/// the count over the window, and the incremental cost (one partition call per partition touched).
/// </summary>
[GenerateSerializer, Immutable, Alias("Flowstate.SessionPageRequest")]
public sealed record SessionPageRequest(
    [property: Id(0)] Scope Scope,
    [property: Id(1)] DateRange Range,
    [property: Id(2)] DateOnly? AsOf,
    [property: Id(3)] SessionFilter Filter,
    [property: Id(4)] SessionOrder Order,
    [property: Id(5)] int First,
    [property: Id(6)] string? After,
    [property: Id(7)] bool IncludeTotalCount,
    [property: Id(8)] bool IncludeIncremental)
{
    /// <summary>The largest page (the GraphQL layer's page-size limit).</summary>
    public const int MaxFirst = 200;
}

[GenerateSerializer, Immutable, Alias("Flowstate.SessionProject")]
public sealed record SessionProject([property: Id(0)] string Id, [property: Id(1)] string Name);

/// <summary>
/// One session as the sessions table shows it: the read-model row with its person and project
/// resolved from one workforce snapshot, and its incremental (beyond plan allowance) cost from
/// its usage partition when asked for (null otherwise).
/// </summary>
[GenerateSerializer, Immutable, Alias("Flowstate.SessionView")]
public sealed record SessionView(
    [property: Id(0)] string Id,
    [property: Id(1)] PersonRef? Person,
    [property: Id(2)] string SubjectKey,
    [property: Id(3)] string ProviderId,
    [property: Id(4)] string Model,
    [property: Id(5)] DateTimeOffset StartedAt,
    [property: Id(6)] DateTimeOffset? EndedAt,
    [property: Id(7)] long InputTokens,
    [property: Id(8)] long OutputTokens,
    [property: Id(9)] long CachedInputTokens,
    [property: Id(10)] long TotalTokens,
    [property: Id(11)] int? Turns,
    [property: Id(12)] decimal CostUsd,
    [property: Id(13)] decimal MarketCostUsd,
    [property: Id(14)] decimal? IncrementalCostUsd,
    [property: Id(15)] SessionProject? Project,
    [property: Id(16)] ProjectSource? ProjectSource,
    [property: Id(17)] SessionContext? Context,
    [property: Id(18)] double? Frustration,
    [property: Id(19)] string? ApiKeyId);

[GenerateSerializer, Immutable, Alias("Flowstate.SessionEdge")]
public sealed record SessionEdge([property: Id(0)] string Cursor, [property: Id(1)] SessionView Node);

/// <summary>A page of the sessions table; <c>TotalCount</c> is null unless it was asked for.</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.SessionPage")]
public sealed record SessionPage(
    [property: Id(0)] IReadOnlyList<SessionEdge> Edges,
    [property: Id(1)] bool HasNextPage,
    [property: Id(2)] bool HasPreviousPage,
    [property: Id(3)] int? TotalCount,
    [property: Id(4)] DateWindow Window);

/// <summary>"My AI Usage": one person's spend and sessions in a window, from their subject-month rollups.</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.MyUsageView")]
public sealed record MyUsageView(
    [property: Id(0)] PersonRef Person,
    [property: Id(1)] DateWindow Window,
    [property: Id(2)] decimal IncrementalUsd,
    [property: Id(3)] decimal MarketUsd,
    [property: Id(4)] int Sessions,
    [property: Id(5)] int UnmatchedSessions);

/// <summary>
/// Reads the sessions table of an org (key: the org). A stateless worker: the SQL runs on the
/// read model, people and projects come from one cached workforce snapshot per call, and
/// incremental costs from the usage partitions the page touches (one call each, in parallel).
/// </summary>
[Alias("Flowstate.ISessionQueryGrain")]
public interface ISessionQueryGrain : IGrainWithStringKey
{
    /// <summary>INVALID_INPUT for a bad page size or a cursor of another order; NOT_FOUND for an unknown id in the scope.</summary>
    [Alias("GetPage")] Task<SessionPage> GetPageAsync(SessionPageRequest request);

    /// <summary>One session, or null when the org has none with this id.</summary>
    [Alias("Get")] Task<SessionView?> GetAsync(string sessionId, bool includeIncremental);

    /// <summary>The person's spend (both cost modes) and session counts in the window; NOT_FOUND for an unknown person.</summary>
    [Alias("GetMyUsage")] Task<MyUsageView> GetMyUsageAsync(string personId, DateRange range, DateOnly? asOf);
}

/// <summary>
/// One observed session, for the commands on it (key: <c>{org}/{sessionId}</c>). Keeps no state:
/// the session lives in its usage partition and the read model; this grain only makes the
/// commands on one session run one at a time, so concurrent marks cannot leave the partition and
/// the read model disagreeing.
/// </summary>
[Alias("Flowstate.ISessionGrain")]
public interface ISessionGrain : IGrainWithStringKey
{
    /// <summary>
    /// Moves the session to a project in every rollup, records the mark in the read model and
    /// teaches the classifier its working context. NOT_FOUND for an unknown session or project,
    /// with nothing changed. Every step is idempotent, so a retry after a failure converges.
    /// </summary>
    [Alias("MarkProject")] Task<SessionView> MarkProjectAsync(string projectId);
}
