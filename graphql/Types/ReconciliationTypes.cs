using Flowstate.Reconciliation;
using Flowstate.Workforce;
using GraphQL;
using GraphQL.Types;

namespace Flowstate.GraphQL.Types;

public sealed class RowStatusEnum : EnumerationGraphType<RowStatus>
{
    public RowStatusEnum() { Name = "RowStatus"; }
}

public sealed class RowActionEnum : EnumerationGraphType<RowAction>
{
    public RowActionEnum() { Name = "RowAction"; }
}

public sealed class BillingRowKindEnum : EnumerationGraphType<BillingRowKind>
{
    public BillingRowKindEnum() { Name = "BillingRowKind"; }
}

public sealed class ResidualCauseEnum : EnumerationGraphType<ResidualCause>
{
    public ResidualCauseEnum() { Name = "ResidualCause"; }
}

public sealed class ResidualPartType : ObjectGraphType<ResidualPart>
{
    public ResidualPartType()
    {
        Name = "ResidualPart";
        Field<NonNullGraphType<ResidualCauseEnum>>("cause").Resolve(c => c.Source.Cause);
        Field<NonNullGraphType<DecimalScalar>>("amount").Resolve(c => c.Source.Amount);
        Field<NonNullGraphType<IntGraphType>>("rows").Description("Rows whose part this is; observed money that no row claims counts no row.").Resolve(c => c.Source.Rows);
    }
}

public sealed class EmptyStateEnum : EnumerationGraphType<EmptyState>
{
    public EmptyStateEnum() { Name = "EmptyState"; }
}

public sealed class PersonType : ObjectGraphType<PersonRef>
{
    public PersonType()
    {
        Name = "Person";
        Field<NonNullGraphType<IdGraphType>>("id").Resolve(c => c.Source.Id);
        Field<StringGraphType>("email").Resolve(c => c.Source.Email);
        Field<NonNullGraphType<StringGraphType>>("name").Resolve(c => c.Source.Name);
        Field<NonNullGraphType<StringGraphType>>("kind").Resolve(c => c.Source.Kind == PersonKind.Contractor ? "CONTRACTOR" : "EMPLOYEE");
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("aliases").Description("Other names the person goes by (GitHub login, telemetry ids).")
            .Resolve(c => c.Source.Aliases ?? []);
    }
}

public sealed class AuditEntryType : ObjectGraphType<AuditEntry>
{
    public AuditEntryType()
    {
        Name = "AuditEntry";
        Field<NonNullGraphType<DateTimeScalar>>("at").Resolve(c => c.Source.At);
        Field<NonNullGraphType<StringGraphType>>("actor").Resolve(c => c.Source.Actor);
        Field<RowStatusEnum>("fromStatus").Resolve(c => c.Source.From);
        Field<NonNullGraphType<RowStatusEnum>>("toStatus").Resolve(c => c.Source.To);
        Field<RowActionEnum>("action").Resolve(c => c.Source.Action);
        Field<StringGraphType>("note").Resolve(c => c.Source.Note);
        Field<NonNullGraphType<IntGraphType>>("version").Resolve(c => c.Source.Version);
    }
}

public sealed class BillingRowType : ObjectGraphType<BillingRowView>
{
    public BillingRowType()
    {
        Name = "BillingRow";
        Field<NonNullGraphType<IdGraphType>>("id").Resolve(c => c.Source.Id);
        Field<NonNullGraphType<IdGraphType>>("providerId").Resolve(c => c.Source.Line.ProviderId);
        Field<NonNullGraphType<StringGraphType>>("externalId").Resolve(c => c.Source.Line.ExternalId);
        Field<PersonType>("subject").ResolveAsync(async c =>
            SubjectKeys.PersonIdOf(c.Source.Line.SubjectKey ?? "") is { } id
                ? (await c.Grains().GetGrain<IOrgGrain>(c.Caller().Org).GetPeopleAsync([id])).FirstOrDefault()
                : null);
        Field<StringGraphType>("subjectKey").Description("How the bill named its subject, as resolved: p:person, u:unknown subject, k:account.")
            .Resolve(c => c.Source.Line.SubjectKey);
        Field<StringGraphType>("account").Resolve(c => c.Source.Line.Account);
        Field<NonNullGraphType<DateScalar>>("usageDate").Resolve(c => c.Source.Line.UsageDate);
        Field<NonNullGraphType<StringGraphType>>("period").Resolve(c => c.Source.Period.ToString());
        Field<NonNullGraphType<BillingRowKindEnum>>("kind").Resolve(c => c.Source.Line.Kind);
        Field<StringGraphType>("description").Resolve(c => c.Source.Line.Description);
        Field<NonNullGraphType<BooleanGraphType>>("provisional")
            .Description("From a day the provider has not settled yet (its settleDays): the amount may still change until a later pull settles it.")
            .Resolve(c => c.Source.Line.Provisional);
        Field<NonNullGraphType<DecimalScalar>>("totalCostUsd").Resolve(c => c.Source.Line.TotalCostUsd);
        Field<DecimalScalar>("listCostUsd").Resolve(c => c.Source.Line.ListCostUsd);
        Field<NonNullGraphType<DecimalScalar>>("observedCostUsd").Resolve(c => c.Source.ObservedCostUsd);
        Field<NonNullGraphType<DecimalScalar>>("delta").Resolve(c => c.Source.Delta);
        Field<NonNullGraphType<RowStatusEnum>>("status").Resolve(c => c.Source.Status);
        Field<FloatGraphType>("confidence").Resolve(c => c.Source.Confidence);
        Field<StringGraphType>("matchReason").Resolve(c => c.Source.MatchReason);
        Field<NonNullGraphType<ResidualCauseEnum>>("residualCause")
            .Description("The cause of this row's part of its period's residual (billed − observed), as its period counts it (before the unsettled-days rule).")
            .Resolve(c => c.Source.ResidualCause);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<IdGraphType>>>>("matchedSessionIds").Resolve(c => c.Source.MatchedSessionIds);
        Field<NonNullGraphType<IntGraphType>>("version").Resolve(c => c.Source.Version);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<RowActionEnum>>>>("availableActions")
            .Resolve(c => c.Source.AvailableActions);
        Field<StringGraphType>("note").Resolve(c => c.Source.Note);
        Field<StringGraphType>("deferredTo").Resolve(c => c.Source.DeferredTo?.ToString());
        Field<StringGraphType>("deferredFrom").Description("The month this row was deferred out of into its period; null when it was billed in it.")
            .Resolve(c => c.Source.DeferredFrom?.ToString());
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<AuditEntryType>>>>("auditTrail")
            .Description("The row's latest actions and status changes (up to 20), oldest first; auditLog(filter: { rowId }) pages the whole history.")
            .Resolve(c => c.Source.AuditTrail);
    }
}

public sealed class PeriodSummaryType : ObjectGraphType<PeriodSummary>
{
    public PeriodSummaryType()
    {
        Name = "PeriodSummary";
        Field<NonNullGraphType<StringGraphType>>("period").Resolve(c => c.Source.Period.ToString());
        Field<IdGraphType>("provider").Description("The provider these figures are for; null: the whole org.").Resolve(c => c.Source.ProviderId);
        Field<NonNullGraphType<DecimalScalar>>("billed").Resolve(c => c.Source.Billed);
        Field<NonNullGraphType<DecimalScalar>>("observed").Resolve(c => c.Source.Observed);
        Field<NonNullGraphType<DecimalScalar>>("writtenOff").Resolve(c => c.Source.WrittenOff);
        Field<NonNullGraphType<DecimalScalar>>("residual").Resolve(c => c.Source.Residual);
        Field<FloatGraphType>("residualRatio").Resolve(c => c.Source.ResidualRatio);
        Field<NonNullGraphType<BooleanGraphType>>("residualWarning")
            .Description("True when the unexplained part of the residual is more than 5% of billed: worth a look.")
            .Resolve(c => c.Source.ResidualWarning);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<ResidualPartType>>>>("residualByCause")
            .Description("The residual by cause, every cause listed (zero when none); the amounts add up to `residual` exactly.")
            .Resolve(c => c.Source.ByCause ?? [new ResidualPart(ResidualCause.Unexplained, c.Source.Residual, 0)]);
        Field<NonNullGraphType<IntGraphType>>("rowCount").Resolve(c => c.Source.RowCount);
    }
}

public sealed class BucketCountType : ObjectGraphType<BucketCount>
{
    public BucketCountType()
    {
        Name = "BucketCount";
        Field<NonNullGraphType<RowStatusEnum>>("status").Resolve(c => c.Source.Status);
        Field<NonNullGraphType<IntGraphType>>("count").Resolve(c => c.Source.Count);
        Field<NonNullGraphType<DecimalScalar>>("amount").Resolve(c => c.Source.Amount);
    }
}

public sealed record RowEdge(string Cursor, BillingRowView Node);

/// <summary>A reconciliation view: one inbox page with the rows loaded, and the query it answers.</summary>
public sealed record ReconciliationView(
    string Org, Period Period, InboxQuery Query, InboxPage Page, IReadOnlyList<RowEdge> Edges,
    IReadOnlyList<BillingRowView> DeferredOut, IReadOnlyList<BillingRowView> DeferredIn)
{
    public bool HasPreviousPage => Query.After is not null;

    /// <summary>Loads the rows of a page (and the rows deferred out) in one parallel round of grain calls.</summary>
    public static async Task<ReconciliationView> LoadAsync(Orleans.IGrainFactory grains, string org, Period period, InboxQuery query, InboxPage page)
    {
        var deferredIn = page.DeferredIn ?? [];
        var rows = await Schema.Rows.LoadAsync(grains, org, page.Edges.Select(e => e.RowId).Concat(page.DeferredOut).Concat(deferredIn).Distinct());
        var edges = page.Edges.Where(e => rows.ContainsKey(e.RowId)).Select(e => new RowEdge(e.Cursor, rows[e.RowId])).ToList();
        List<BillingRowView> Views(IEnumerable<string> ids) => ids.Where(rows.ContainsKey).Select(id => rows[id]).ToList();
        return new ReconciliationView(org, period, query, page, edges, Views(page.DeferredOut), Views(deferredIn));
    }

    /// <summary>Another page of the same inbox (<c>rows(first, after)</c>); this view when neither is given.</summary>
    public async Task<ReconciliationView> PageAsync(Orleans.IGrainFactory grains, int? first, string? after)
    {
        if (first is null && after is null) return this;
        var query = Query with { First = Schema.Query.PageSize(first ?? Query.First), After = after ?? Query.After };
        var page = await grains.GetGrain<IPeriodGrain>(GrainKeys.Join(Org, Period.ToString())).GetInboxAsync(query);
        return await LoadAsync(grains, Org, Period, query, page);
    }
}

public sealed class RowEdgeType : ObjectGraphType<RowEdge>
{
    public RowEdgeType()
    {
        Name = "BillingRowEdge";
        Field<NonNullGraphType<StringGraphType>>("cursor").Resolve(c => c.Source.Cursor);
        Field<NonNullGraphType<BillingRowType>>("node").Resolve(c => c.Source.Node);
    }
}

public sealed class PageInfoType : ObjectGraphType<PageInfo>
{
    public PageInfoType()
    {
        Name = "PageInfo";
        Field<NonNullGraphType<BooleanGraphType>>("hasNextPage").Resolve(c => c.Source.HasNextPage);
        Field<NonNullGraphType<BooleanGraphType>>("hasPreviousPage").Resolve(c => c.Source.HasPreviousPage);
        Field<StringGraphType>("startCursor").Resolve(c => c.Source.StartCursor);
        Field<StringGraphType>("endCursor").Resolve(c => c.Source.EndCursor);
    }
}

public sealed record PageInfo(bool HasNextPage, bool HasPreviousPage, string? StartCursor, string? EndCursor);

public sealed class BillingRowConnectionType : ObjectGraphType<ReconciliationView>
{
    public BillingRowConnectionType()
    {
        Name = "BillingRowConnection";
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<RowEdgeType>>>>("edges").Resolve(c => c.Source.Edges);
        Field<NonNullGraphType<PageInfoType>>("pageInfo").Resolve(c => new PageInfo(
            c.Source.Page.HasNextPage, c.Source.HasPreviousPage,
            c.Source.Edges.FirstOrDefault()?.Cursor, c.Source.Edges.LastOrDefault()?.Cursor));
        Field<NonNullGraphType<IntGraphType>>("totalCount").Resolve(c => c.Source.Page.TotalCount);
    }
}

public sealed class ReconciliationType : ObjectGraphType<ReconciliationView>
{
    public ReconciliationType()
    {
        Name = "Reconciliation";
        Field<NonNullGraphType<StringGraphType>>("period").Resolve(c => c.Source.Page.Summary.Period.ToString());
        Field<NonNullGraphType<PeriodSummaryType>>("summary")
            .Description("The month's figures for the rows in view: the provider's alone when `provider` is given (its bill and its observed sessions), else the org's.")
            .Resolve(c => c.Source.Page.Summary);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<BucketCountType>>>>("buckets").Resolve(c => c.Source.Page.Buckets);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<BillingRowType>>>>("deferredOut")
            .Description("Rows deferred out of this month: those that left for the next one, and those still waiting here (DEFERRED) to go.")
            .Resolve(c => c.Source.DeferredOut);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<BillingRowType>>>>("deferredIn")
            .Description("Rows deferred into this month: those that came from the month before, and those still waiting there (DEFERRED) to come.")
            .Resolve(c => c.Source.DeferredIn);
        Field<NonNullGraphType<BillingRowConnectionType>>("rows")
            .Description("The rows in view, in inbox order. `first` and `after` here page the same list as reconciliation's own (either place works; these win).")
            .Argument<IntGraphType>("first")
            .Argument<StringGraphType>("after")
            .ResolveAsync(async c => await c.Source.PageAsync(c.Grains(), c.GetArgument<int?>("first"), c.GetArgument<string?>("after")));
        Field<EmptyStateEnum>("emptyState").Resolve(c => c.Source.Page.EmptyState);
    }
}

public sealed class RowActionPayloadType : ObjectGraphType<RowActionResult>
{
    public RowActionPayloadType()
    {
        Name = "RowActionPayload";
        Field<NonNullGraphType<BillingRowType>>("row").Resolve(c => c.Source.Row);
        Field<NonNullGraphType<PeriodSummaryType>>("summary").Resolve(c => c.Source.Summary);
    }
}
