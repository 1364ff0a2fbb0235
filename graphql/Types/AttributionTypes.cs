using Flowstate.Attribution;
using GraphQL;
using GraphQL.Types;

namespace Flowstate.GraphQL.Types;

public sealed class CostModeEnum : EnumerationGraphType
{
    public CostModeEnum()
    {
        Name = "CostMode";
        Add("INCREMENTAL", CostMode.Incremental, "Cost beyond the plans' included usage (what the usage adds to the bill).");
        Add("MARKET", CostMode.Market, "Tokens at list price.");
    }
}

public sealed class DateRangeEnum : EnumerationGraphType
{
    public DateRangeEnum()
    {
        Name = "DateRange";
        Add("LAST_7_DAYS", DateRange.Last7Days, "The 7 days ending on the as-of day.");
        Add("LAST_30_DAYS", DateRange.Last30Days, "The 30 days ending on the as-of day.");
        Add("QUARTER_TO_DATE", DateRange.QuarterToDate, "From the first day of the as-of day's quarter.");
        Add("LAST_YEAR", DateRange.LastYear, "The 365 days ending on the as-of day.");
    }
}

public sealed class ScopeLevelEnum : EnumerationGraphType
{
    public ScopeLevelEnum()
    {
        Name = "ScopeLevel";
        Add("ORG", ScopeLevel.Org);
        Add("COST_CENTRE", ScopeLevel.CostCentre);
        Add("TEAM", ScopeLevel.Team);
        Add("PROJECT", ScopeLevel.Project);
        Add("PERSON", ScopeLevel.Person);
        Add("SESSION", ScopeLevel.Session, "One session (a person's next level); its id is a session id (`session(id:)`).");
    }
}

public sealed class ScopeInputType : InputObjectGraphType
{
    public ScopeInputType()
    {
        Name = "ScopeInput";
        Description = "Filters that combine; none is the whole org; a team includes its sub-teams.";
        Field<IdGraphType>("costCentreId");
        Field<IdGraphType>("teamId");
        Field<IdGraphType>("projectId");
        Field<IdGraphType>("personId");
    }
}

public sealed class ScopeNodeType : ObjectGraphType<ScopeNode>
{
    public ScopeNodeType()
    {
        Name = "ScopeNode";
        Description = "A node of the drill-down. A null id is a remainder (e.g. Unallocated) that cannot be drilled into.";
        Field<NonNullGraphType<ScopeLevelEnum>>("level").Resolve(c => c.Source.Level);
        Field<IdGraphType>("id").Resolve(c => c.Source.Id);
        Field<NonNullGraphType<StringGraphType>>("name").Resolve(c => c.Source.Name);
    }
}

public sealed class DateWindowType : ObjectGraphType<DateWindow>
{
    public DateWindowType()
    {
        Name = "DateWindow";
        Field<NonNullGraphType<DateScalar>>("start").Resolve(c => c.Source.Start);
        Field<NonNullGraphType<DateScalar>>("end").Resolve(c => c.Source.End);
    }
}

public sealed class DiscoveryBannerType : ObjectGraphType<DiscoveryBanner>
{
    public DiscoveryBannerType()
    {
        Name = "DiscoveryBanner";
        Field<NonNullGraphType<StringGraphType>>("message").Resolve(c => c.Source.Message);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("missing").Resolve(c => c.Source.Missing);
    }
}

public sealed class AmountType : ObjectGraphType<Amount>
{
    public AmountType()
    {
        Name = "Amount";
        Field<NonNullGraphType<IdGraphType>>("key").Resolve(c => c.Source.Key);
        Field<NonNullGraphType<StringGraphType>>("name").Resolve(c => c.Source.Name);
        Field<NonNullGraphType<DecimalScalar>>("amount").Resolve(c => c.Source.Value);
        Field<NonNullGraphType<BooleanGraphType>>("drillable")
            .Description("The key is a scope id of this chart's kind (personId in topSpenders, projectId in byProject, costCentreId in byCostCentre); false for remainders (unmatched, unallocated, people outside the workforce) and providers.")
            .Resolve(c => c.Source.Drillable);
    }
}

public sealed class ModelFrustrationType : ObjectGraphType<ModelFrustration>
{
    public ModelFrustrationType()
    {
        Name = "ModelFrustration";
        Field<NonNullGraphType<StringGraphType>>("model").Resolve(c => c.Source.Model);
        Field<NonNullGraphType<FloatGraphType>>("frustration").Description("Mean frustration (0..1) of the sessions that reported one; 0 when none did.")
            .Resolve(c => c.Source.Frustration ?? 0);
        Field<NonNullGraphType<IntGraphType>>("sessions").Resolve(c => c.Source.Sessions);
    }
}

public sealed class CoverageType : ObjectGraphType<Coverage>
{
    public CoverageType()
    {
        Name = "Coverage";
        Field<NonNullGraphType<IntGraphType>>("headcount").Resolve(c => c.Source.Headcount);
        Field<NonNullGraphType<IntGraphType>>("reporting").Description("People in the headcount with sessions in the window.").Resolve(c => c.Source.Reporting);
        Field<NonNullGraphType<FloatGraphType>>("ratio").Resolve(c => c.Source.Ratio);
    }
}

public sealed class TeamCoverageType : ObjectGraphType<TeamCoverage>
{
    public TeamCoverageType()
    {
        Name = "TeamCoverage";
        Description = "Coverage of one team's own members (sub-teams have their own entries).";
        Field<NonNullGraphType<ScopeNodeType>>("team").Resolve(c => c.Source.Team);
        Field<NonNullGraphType<IntGraphType>>("headcount").Resolve(c => c.Source.Coverage.Headcount);
        Field<NonNullGraphType<IntGraphType>>("reporting").Resolve(c => c.Source.Coverage.Reporting);
        Field<NonNullGraphType<FloatGraphType>>("ratio").Resolve(c => c.Source.Coverage.Ratio);
    }
}

public sealed class ScopeAmountType : ObjectGraphType<ScopeAmount>
{
    public ScopeAmountType()
    {
        Name = "ScopeAmount";
        Field<NonNullGraphType<ScopeNodeType>>("scope").Resolve(c => c.Source.Scope);
        Field<NonNullGraphType<DecimalScalar>>("amount").Resolve(c => c.Source.Amount);
    }
}

public sealed class AttributionType : ObjectGraphType<AttributionView>
{
    public AttributionType()
    {
        Name = "Attribution";
        Field<NonNullGraphType<ScopeNodeType>>("scope").Resolve(c => c.Source.Scope);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<ScopeNodeType>>>>("breadcrumbs")
            .Description("From the org down to this scope (the last entry).").Resolve(c => c.Source.Breadcrumbs);
        Field<NonNullGraphType<DateWindowType>>("range").Resolve(c => c.Source.Window);
        Field<NonNullGraphType<CostModeEnum>>("costMode").Resolve(c => c.Source.CostMode);
        Field<DiscoveryBannerType>("banner").Resolve(c => c.Source.Banner);
        Field<NonNullGraphType<DecimalScalar>>("total").Resolve(c => c.Source.Total);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<AmountType>>>>("byProvider").Resolve(c => c.Source.ByProvider);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<AmountType>>>>("byProject")
            .Description("Key \"unmatched\": sessions with no project.").Resolve(c => c.Source.ByProject);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<AmountType>>>>("byCostCentre")
            .Description("Key \"unallocated\": the FTE no allocation covers, and subjects outside the workforce.").Resolve(c => c.Source.ByCostCentre);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<AmountType>>>>("topSpenders")
            .Argument<IntGraphType>("first", a => a.DefaultValue = 10)
            .Resolve(c =>
            {
                var first = c.GetArgument<int>("first");
                if (first is < 1 or > AttributionRequest.MaxTopSpenders)
                    throw FlowstateException.InvalidInput($"topSpenders(first) must be between 1 and {AttributionRequest.MaxTopSpenders}; got {first}.");
                return c.Source.TopSpenders.Take(first);
            });
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<AmountType>>>>("byModel")
            .Description("Spend by model, under one canonical name per model (see README, Model names); keys work as the sessions filter's model.")
            .Resolve(c => c.Source.ByModel ?? []);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<ModelFrustrationType>>>>("frustrationByModel").Resolve(c => c.Source.FrustrationByModel);
        Field<NonNullGraphType<CoverageType>>("coverage").Resolve(c => c.Source.Coverage);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<TeamCoverageType>>>>("coverageByTeam").Resolve(c => c.Source.CoverageByTeam);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<ScopeAmountType>>>>("children")
            .Description("One level down, adding up to the total: org → cost centres, cost centre → teams, team → sub-teams and own members, project → people, person → their most expensive sessions and the rest summed. A null scope id is a remainder.")
            .Resolve(c => c.Source.Children);
        Field<NonNullGraphType<IntGraphType>>("childCount")
            .Description("How many children there are in all: for a person, their sessions in scope (children lists the top ones).")
            .Resolve(c => c.Source.ChildCount > 0 ? c.Source.ChildCount : c.Source.Children.Count(x => x.Scope.Id is not null));
        Field<NonNullGraphType<FloatGraphType>>("sessions").Description("Sessions in scope; a member's sessions count by their FTE share.")
            .Resolve(c => c.Source.Sessions);
        Field<NonNullGraphType<FloatGraphType>>("tokens").Description("Tokens in scope, split by FTE like sessions.").Resolve(c => c.Source.Tokens);
    }
}
