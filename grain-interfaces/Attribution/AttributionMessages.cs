namespace Flowstate.Attribution;

/// <summary>Filters that combine into a scope; all null is the whole org; a team includes its sub-teams.</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.Scope")]
public sealed record Scope(
    [property: Id(0)] string? CostCentreId = null,
    [property: Id(1)] string? TeamId = null,
    [property: Id(2)] string? ProjectId = null,
    [property: Id(3)] string? PersonId = null)
{
    public static readonly Scope Org = new();
}

[GenerateSerializer, Immutable, Alias("Flowstate.AttributionRequest")]
public sealed record AttributionRequest(
    [property: Id(0)] Scope Scope,
    [property: Id(1)] DateRange Range,
    [property: Id(2)] CostMode CostMode,
    [property: Id(3)] DateOnly? AsOf)
{
    /// <summary>How many top spenders a view carries.</summary>
    public const int MaxTopSpenders = 100;
}

/// <summary>A node of the drill-down: its level, id (null for a remainder such as "Unallocated") and name.</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.ScopeNode")]
public sealed record ScopeNode([property: Id(0)] ScopeLevel Level, [property: Id(1)] string? Id, [property: Id(2)] string Name);

[GenerateSerializer, Immutable, Alias("Flowstate.DateWindow")]
public sealed record DateWindow([property: Id(0)] DateOnly Start, [property: Id(1)] DateOnly End);

/// <summary>
/// One bar of a chart. <see cref="Drillable"/>: the key is the id of a scope of the chart's kind
/// (person, project, cost centre) and can be passed as that scope; false for remainders such as
/// <c>unmatched</c>, <c>unallocated</c> or a subject outside the workforce, and for providers.
/// </summary>
[GenerateSerializer, Immutable, Alias("Flowstate.Amount")]
public sealed record Amount([property: Id(0)] string Key, [property: Id(1)] string Name, [property: Id(2)] decimal Value,
                            [property: Id(3)] bool Drillable = false);

[GenerateSerializer, Immutable, Alias("Flowstate.ModelFrustration")]
public sealed record ModelFrustration([property: Id(0)] string Model, [property: Id(1)] double? Frustration, [property: Id(2)] int Sessions);

[GenerateSerializer, Immutable, Alias("Flowstate.Coverage")]
public sealed record Coverage([property: Id(0)] int Headcount, [property: Id(1)] int Reporting)
{
    public double Ratio => Headcount == 0 ? 0 : (double)Reporting / Headcount;
}

[GenerateSerializer, Immutable, Alias("Flowstate.TeamCoverage")]
public sealed record TeamCoverage([property: Id(0)] ScopeNode Team, [property: Id(1)] Coverage Coverage);

[GenerateSerializer, Immutable, Alias("Flowstate.ScopeAmount")]
public sealed record ScopeAmount([property: Id(0)] ScopeNode Scope, [property: Id(1)] decimal Amount);

/// <summary>Shown while the org has too little data for stable rollups; clears by itself.</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.DiscoveryBanner")]
public sealed record DiscoveryBanner([property: Id(0)] string Message, [property: Id(1)] IReadOnlyList<string> Missing);

/// <summary>The attribution view of one scope over one window (DESIGN §2), the same shape at every level.</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.AttributionView")]
public sealed record AttributionView(
    [property: Id(0)] ScopeNode Scope,
    [property: Id(1)] IReadOnlyList<ScopeNode> Breadcrumbs,
    [property: Id(2)] DateWindow Window,
    [property: Id(3)] CostMode CostMode,
    [property: Id(4)] DiscoveryBanner? Banner,
    [property: Id(5)] decimal Total,
    [property: Id(6)] IReadOnlyList<Amount> ByProvider,
    [property: Id(7)] IReadOnlyList<Amount> ByProject,
    [property: Id(8)] IReadOnlyList<Amount> ByCostCentre,
    [property: Id(9)] IReadOnlyList<Amount> TopSpenders,
    [property: Id(10)] IReadOnlyList<ModelFrustration> FrustrationByModel,
    [property: Id(11)] Coverage Coverage,
    [property: Id(12)] IReadOnlyList<TeamCoverage> CoverageByTeam,
    [property: Id(13)] IReadOnlyList<ScopeAmount> Children,
    [property: Id(14)] double Sessions,
    [property: Id(15)] double Tokens,
    [property: Id(16)] int ChildCount = 0,
    [property: Id(17)] IReadOnlyList<Amount>? ByModel = null);

/// <summary>
/// Answers the attribution surface for an org from its rollups. Key: the org. A stateless
/// worker: it resolves the scope against the workforce, reads the month rollups of the window
/// in parallel and assembles the view; it keeps only caches.
/// </summary>
[Alias("Flowstate.IAttributionGrain")]
public interface IAttributionGrain : IGrainWithStringKey
{
    /// <summary>NOT_FOUND for an unknown id in the scope.</summary>
    [Alias("GetView")] Task<AttributionView> GetViewAsync(AttributionRequest request);
}
