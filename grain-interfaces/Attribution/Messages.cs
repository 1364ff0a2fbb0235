namespace Flowstate.Attribution;

/// <summary>Which cost the attribution views show (DESIGN §2).</summary>
public enum CostMode { Incremental = 0, Market = 1 }

/// <summary>Date windows ending on (and including) an as-of day.</summary>
public enum DateRange { Last7Days = 0, Last30Days = 1, QuarterToDate = 2, LastYear = 3 }

/// <summary>Levels of the drill-down; a person's next level is their sessions.</summary>
public enum ScopeLevel { Org = 0, CostCentre = 1, Team = 2, Project = 3, Person = 4, Session = 5 }

/// <summary>
/// Additive measures of usage. Money is an exact decimal, so that spend split by FTE fractions
/// still adds up exactly at every level; sessions, tokens and frustration are measures, not money,
/// and are doubles. Sessions and tokens are split like money: a 0.5 FTE member's session counts
/// 0.5 in that team.
/// </summary>
[GenerateSerializer, Immutable, Alias("Flowstate.UsageMetrics")]
public readonly record struct UsageMetrics(
    [property: Id(0)] decimal IncrementalUsd,
    [property: Id(1)] decimal MarketUsd,
    [property: Id(2)] double Sessions,
    [property: Id(3)] double Tokens,
    [property: Id(4)] double FrustrationSum,
    [property: Id(5)] double FrustrationWeight)
{
    /// <summary>Below this a share of sessions, tokens or frustration is rounding noise.</summary>
    public const double Epsilon = 1e-9;

    public static UsageMetrics operator +(UsageMetrics a, UsageMetrics b) => new(
        a.IncrementalUsd + b.IncrementalUsd, a.MarketUsd + b.MarketUsd, a.Sessions + b.Sessions,
        a.Tokens + b.Tokens, a.FrustrationSum + b.FrustrationSum, a.FrustrationWeight + b.FrustrationWeight);

    public static UsageMetrics operator -(UsageMetrics a, UsageMetrics b) => a + b * -1m;

    public static UsageMetrics operator *(UsageMetrics a, decimal weight)
    {
        var w = (double)weight;
        return new(a.IncrementalUsd * weight, a.MarketUsd * weight, a.Sessions * w, a.Tokens * w, a.FrustrationSum * w, a.FrustrationWeight * w);
    }

    public bool HasSessions => Sessions > Epsilon;

    public bool IsZero => IncrementalUsd == 0 && MarketUsd == 0 && Math.Abs(Sessions) < Epsilon && Math.Abs(Tokens) < Epsilon
                          && Math.Abs(FrustrationSum) < Epsilon && Math.Abs(FrustrationWeight) < Epsilon;

    public decimal Cost(CostMode mode) => mode == CostMode.Market ? MarketUsd : IncrementalUsd;

    /// <summary>Mean frustration of the sessions that reported one, or null when none did.</summary>
    public double? Frustration => FrustrationWeight < Epsilon ? null : FrustrationSum / FrustrationWeight;
}

/// <summary>One provider-subject-month partition's usage on one day, model and project.</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.UsageCell")]
public sealed record UsageCell(
    [property: Id(0)] DateOnly Day,
    [property: Id(1)] string Model,
    [property: Id(2)] string? ProjectId,
    [property: Id(3)] UsageMetrics Metrics);

/// <summary>The latest usage of one partition, versioned by the partition, pushed to its subject-month.</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.PartitionUsage")]
public sealed record PartitionUsage(
    [property: Id(0)] string PartitionId,
    [property: Id(1)] string ProviderId,
    [property: Id(2)] long Version,
    [property: Id(3)] IReadOnlyList<UsageCell> Cells);

/// <summary>
/// A share of a subject's usage in one rollup: the day, provider, model and project of the
/// usage, the team the share is allocated to and that team's cost centre (null: unallocated),
/// with the money already weighted by the FTE fraction.
/// </summary>
[GenerateSerializer, Immutable, Alias("Flowstate.ScopeCell")]
public readonly record struct ScopeCell(
    [property: Id(0)] DateOnly Day,
    [property: Id(1)] string ProviderId,
    [property: Id(2)] string Model,
    [property: Id(3)] string? ProjectId,
    [property: Id(4)] string? TeamId,
    [property: Id(5)] string? CostCentreId,
    [property: Id(6)] UsageMetrics Metrics);

/// <summary>A subject-month's latest contribution to one rollup, versioned by the subject-month.</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.Contribution")]
public sealed record Contribution(
    [property: Id(0)] string Subject,
    [property: Id(1)] long Version,
    [property: Id(2)] IReadOnlyList<ScopeCell> Cells);

/// <summary>One allocation in force for a stretch of days: the team, its path up to the root, its cost centre, the FTE.</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.PlanShare")]
public sealed record PlanShare(
    [property: Id(0)] string TeamId,
    [property: Id(1)] IReadOnlyList<string> TeamPath,
    [property: Id(2)] string? CostCentreId,
    [property: Id(3)] decimal Fte);

/// <summary>The allocations of a subject from <c>From</c> to <c>To</c> (inclusive); what they leave of 1 FTE is unallocated.</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.PlanSegment")]
public sealed record PlanSegment(
    [property: Id(0)] DateOnly From,
    [property: Id(1)] DateOnly To,
    [property: Id(2)] IReadOnlyList<PlanShare> Shares);

/// <summary>How one subject's usage in one month splits over teams and cost centres, day by day.</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.RollupPlan")]
public sealed record RollupPlan([property: Id(0)] IReadOnlyList<PlanSegment> Segments)
{
    public static readonly RollupPlan Unallocated = new([]);
}

/// <summary>
/// Narrows a rollup to part of it, for combined scopes (e.g. one team's spend on one project).
/// Null members do not filter; <c>TeamIds</c> is a set of allocated teams (a sub-tree).
/// </summary>
[GenerateSerializer, Immutable, Alias("Flowstate.SliceFilter")]
public sealed record SliceFilter(
    [property: Id(0)] string? ProjectId = null,
    [property: Id(1)] string? CostCentreId = null,
    [property: Id(2)] IReadOnlySet<string>? TeamIds = null,
    [property: Id(3)] string? Subject = null)
{
    public static readonly SliceFilter None = new();
    public bool IsEmpty => ProjectId is null && CostCentreId is null && TeamIds is null && Subject is null;
}

/// <summary>Days <c>From</c>..<c>To</c> (inclusive, inside one month) of a rollup, narrowed by a filter.</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.SliceQuery")]
public sealed record SliceQuery(
    [property: Id(0)] DateOnly From,
    [property: Id(1)] DateOnly To,
    [property: Id(2)] SliceFilter Filter);

/// <summary>A subject's usage in one allocated team (null: unallocated).</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.TeamSubject")]
public readonly record struct TeamSubject([property: Id(0)] string? TeamId, [property: Id(1)] string Subject);

/// <summary>
/// Pre-aggregated usage of a rollup over some days: the totals the attribution views are made
/// of. Dimension keys: provider id, project id ("" = no project), cost centre id ("" =
/// unallocated), model, and (allocated team, subject). <c>Version</c> is the version of the
/// rollup it was computed from, so callers can keep it until the rollup changes.
/// </summary>
[GenerateSerializer, Immutable, Alias("Flowstate.RollupSlice")]
public sealed record RollupSlice(
    [property: Id(0)] UsageMetrics Total,
    [property: Id(1)] IReadOnlyDictionary<string, UsageMetrics> ByProvider,
    [property: Id(2)] IReadOnlyDictionary<string, UsageMetrics> ByProject,
    [property: Id(3)] IReadOnlyDictionary<string, UsageMetrics> ByCostCentre,
    [property: Id(4)] IReadOnlyDictionary<string, UsageMetrics> ByModel,
    [property: Id(5)] IReadOnlyDictionary<TeamSubject, UsageMetrics> ByTeamSubject,
    [property: Id(6)] IReadOnlyList<DateOnly> ActiveDays,
    [property: Id(7)] long Version = 0);
