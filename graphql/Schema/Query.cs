using Flowstate.Integrations;
using Flowstate.Attribution;
using Flowstate.GraphQL.Types;
using Flowstate.Providers;
using Flowstate.Reconciliation;
using Flowstate.Workforce;
using GraphQL;
using GraphQL.Types;

namespace Flowstate.GraphQL.Schema;

public sealed class Query : ObjectGraphType
{
    public const int MaxPageSize = 200;

    public Query()
    {
        Name = "Query";

        Field<NonNullGraphType<ReconciliationType>>("reconciliation")
            .Description("The reconciliation inbox of one month: summary, bucket chips, rows deferred out, and a page of rows.")
            .Argument<NonNullGraphType<StringGraphType>>("period", "YYYY-MM")
            .Argument<ListGraphType<NonNullGraphType<RowStatusEnum>>>("statuses", a => a.DefaultValue = new[] { RowStatus.Unreconciled })
            .Argument<IdGraphType>("provider")
            .Argument<IntGraphType>("first", a => a.DefaultValue = 50)
            .Argument<StringGraphType>("after")
            .ResolveAsync(async c =>
            {
                var period = Period.Parse(c.GetArgument<string>("period"));
                var statuses = c.GetArgument<List<RowStatus>?>("statuses") is { Count: > 0 } s ? s : Enum.GetValues<RowStatus>().ToList();
                var first = PageSize(c.GetArgument<int>("first"));
                var after = c.GetArgument<string?>("after");
                var grains = c.Grains();
                var org = c.Caller().Org;
                var provider = c.GetArgument<string?>("provider");
                var known = provider is null || provider.Length > GrainKeys.MaxIdLength
                    ? Task.FromResult<ProviderView?>(null)
                    : grains.GetGrain<IProviderGrain>(GrainKeys.Join(org, provider)).GetAsync();
                var inbox = grains.GetGrain<IPeriodGrain>(GrainKeys.Join(org, period.ToString()))
                    .GetInboxAsync(new InboxQuery(statuses, provider, first, after));
                var page = await inbox;
                if (provider is not null && await known is null)
                    throw FlowstateException.NotFound($"No provider with id '{provider}'.");
                // A connector that pulled this month and found nothing has pulled: the inbox is clear, not waiting for a pull.
                if (page.EmptyState == EmptyState.NoBillingPull && provider is not null &&
                    (await grains.GetGrain<IIntegrationGrain>(GrainKeys.Join(org, provider)).GetAsync()).Runs
                        .Any(r => r.Status is PullStatus.Succeeded or PullStatus.Partial && Period.Of(r.From) <= period && period <= Period.Of(r.To)))
                    page = page with { EmptyState = EmptyState.Cleared };
                return await ReconciliationView.LoadAsync(grains, org, period, new InboxQuery(statuses, provider, first, after), page);
            });

        Field<NonNullGraphType<ExportLinkType>>("exportLink")
            .Description("The download link of a period's export: FOCUS (the confirmed ledger), ROWS or ATTRIBUTION as CSV, streamed.")
            .Argument<NonNullGraphType<StringGraphType>>("period", "YYYY-MM")
            .Argument<ExportFormatEnum>("format", a => a.DefaultValue = ExportFormat.Focus)
            .Resolve(c => ExportLinks.Of(c.GetArgument<ExportFormat>("format"), Period.Parse(c.GetArgument<string>("period"))));

        Field<BillingRowType>("billingRow")
            .Argument<NonNullGraphType<IdGraphType>>("id")
            .ResolveAsync(async c =>
            {
                var id = c.GetArgument<string>("id");
                return GrainKeys.TryParseRowId(id, out _, out _)
                    ? await c.Grains().GetGrain<IBillingRowGrain>(GrainKeys.Row(c.Caller().Org, id)).GetAsync()
                    : null;
            });

        Field<NonNullGraphType<AttributionType>>("attribution")
            .Description("Spend, usage and adoption of a scope over a window ending on asOf (default today), from pre-aggregated rollups.")
            .Argument<ScopeInputType>("scope")
            .Argument<DateRangeEnum>("range", a => a.DefaultValue = DateRange.Last30Days)
            .Argument<CostModeEnum>("costMode", a => a.DefaultValue = CostMode.Incremental)
            .Argument<DateScalar>("asOf")
            .ResolveAsync(async c => await c.Grains().GetGrain<IAttributionGrain>(c.Caller().Org).GetViewAsync(new AttributionRequest(
                await ScopeAccess.ClampAsync(c, ScopeOf(c)), c.GetArgument<DateRange>("range"), c.GetArgument<CostMode>("costMode"), AsOf(c))));

        Field<NonNullGraphType<SessionConnectionType>>("sessions")
            .Description("The sessions of a scope that started in a window ending on asOf (default today): filtered, sorted, keyset-paginated.")
            .Argument<ScopeInputType>("scope")
            .Argument<DateRangeEnum>("range", a => a.DefaultValue = DateRange.Last30Days)
            .Argument<DateScalar>("asOf")
            .Argument<SessionFilterInputType>("filter")
            .Argument<SessionOrderInputType>("orderBy", "Default: STARTED_AT DESC.")
            .Argument<IntGraphType>("first", a => a.DefaultValue = 50)
            .Argument<StringGraphType>("after")
            .ResolveAsync(async c =>
            {
                var filter = SessionArgs.Filter(c);
                var scope = await ScopeAccess.ClampAsync(c, ScopeOf(c), filter.PersonId);
                return await c.Grains().GetGrain<ISessionQueryGrain>(c.Caller().Org).GetPageAsync(SessionArgs.Page(
                    c, scope, c.GetArgument<DateRange>("range"), AsOf(c), filter));
            });

        Field<SessionType>("session")
            .Description("One session. An engineer sees only their own, a manager those of their teams' people (another is FORBIDDEN).")
            .Argument<NonNullGraphType<IdGraphType>>("id")
            .ResolveAsync(async c =>
            {
                var view = await c.Grains().GetGrain<ISessionQueryGrain>(c.Caller().Org).GetAsync(c.GetArgument<string>("id"), Selections.Has(c, "incrementalCostUsd"));
                if (view is not null) await ScopeAccess.RequirePersonAsync(c, view.Person?.Id, "this session");
                return view;
            });

        Field<NonNullGraphType<MyUsageType>>("myUsage")
            .Description("My AI Usage: one person's spend and sessions; without personId, the caller's own person. " +
                         "An engineer sees only their own (another person is FORBIDDEN).")
            .Argument<IdGraphType>("personId")
            .Argument<DateRangeEnum>("range", a => a.DefaultValue = DateRange.Last30Days)
            .Argument<DateScalar>("asOf")
            .ResolveAsync(async c =>
            {
                var range = c.GetArgument<DateRange>("range");
                var caller = c.Caller();
                var person = UsagePerson(caller, c.GetArgument<string?>("personId"));
                await ScopeAccess.RequirePersonAsync(c, person, $"the usage of '{person}'");
                var view = await c.Grains().GetGrain<ISessionQueryGrain>(caller.Org).GetMyUsageAsync(person, range, AsOf(c));
                return new MyUsage(view, range);
            });

        Field<NonNullGraphType<ListGraphType<NonNullGraphType<ProjectRefType>>>>("projects")
            .Description("The org's projects by name: what a session can be marked with (markSessionProject).")
            .ResolveAsync(async c => (await c.Grains().GetGrain<IOrgGrain>(c.Caller().Org).GetProjectsAsync())
                .Select(p => new SessionProject(p.Id, p.Name)).ToList());

        AuditLogField.Add(this);
        IngestKeyFields.AddQuery(this);
        OrgFields.AddQuery(this);

        Field<NonNullGraphType<ListGraphType<NonNullGraphType<MonitoringGapType>>>>("monitoringGaps")
            .Description("What monitoring misses in the last `days` days: billed without telemetry, telemetry without a connector, quiet seats this month, connectors failing for over a day.")
            .Argument<IntGraphType>("days", a => a.DefaultValue = ProviderView.DefaultCoverageDays)
            .ResolveAsync(async c =>
            {
                var (org, grains) = (c.Caller().Org, c.Grains());
                var days = Math.Clamp(c.GetArgument("days", ProviderView.DefaultCoverageDays), 1, 3660);
                var ids = await grains.GetGrain<IOrgGrain>(org).GetProviderIdsAsync();
                var providers = (await Task.WhenAll(ids.Select(async id =>
                    (View: await grains.GetGrain<IProviderGrain>(GrainKeys.Join(org, id)).GetAsync(),
                     Integration: await grains.GetGrain<IIntegrationGrain>(GrainKeys.Join(org, id)).GetAsync()))))
                    .Where(x => x.View is not null).Select(x => (x.View!, x.Integration)).ToList();
                var seats = new List<BillingRowView>();
                foreach (var (view, _) in providers.Where(p => p.Item1.Config.Plan.SeatFeeUsd > 0))
                    seats.AddRange(await SeatRowsAsync(grains, org, Period.Of(view.AsOf), view.Config.Id));
                return MonitoringGaps.Find(providers, seats, days);
            });

        Field<NonNullGraphType<ListGraphType<NonNullGraphType<ProviderType>>>>("providers")
            .Description("Configured providers with coverage state, last pull and its errors.")
            .ResolveAsync(async c =>
            {
                var org = c.Caller().Org;
                var ids = await c.Grains().GetGrain<IOrgGrain>(org).GetProviderIdsAsync();
                var views = await Task.WhenAll(ids.Select(id => c.Grains().GetGrain<IProviderGrain>(GrainKeys.Join(org, id)).GetAsync()));
                return views.OfType<ProviderView>().OrderBy(v => v.Config.Id, StringComparer.Ordinal).ToList();
            });
    }

    /// <summary>A provider's seat rows of a month, at most <see cref="MaxSeatRows"/> (pages of the inbox, all statuses).</summary>
    private static async Task<List<BillingRowView>> SeatRowsAsync(IGrainFactory grains, string org, Period period, string providerId)
    {
        const int MaxSeatRows = 2000;
        var rows = new List<BillingRowView>();
        string? after = null;
        var inbox = grains.GetGrain<IPeriodGrain>(GrainKeys.Join(org, period.ToString()));
        while (rows.Count < MaxSeatRows)
        {
            var page = await inbox.GetInboxAsync(new InboxQuery(Enum.GetValues<RowStatus>(), providerId, 200, after));
            var views = await Task.WhenAll(page.Edges.Select(e => grains.GetGrain<IBillingRowGrain>(GrainKeys.Row(org, e.RowId)).GetAsync()));
            rows.AddRange(views.OfType<BillingRowView>().Where(v => v.Line.Kind == BillingRowKind.Seat));
            if (!page.HasNextPage || page.Edges.Count == 0) break;
            after = page.Edges[^1].Cursor;
        }
        return rows;
    }

    /// <summary>
    /// Whose usage myUsage shows: the person asked for, else the caller's own. Only the roles that
    /// read others' spend (admin, finance, manager) may ask for someone else.
    /// </summary>
    public static string UsagePerson(FlowstateUserContext caller, string? personId)
    {
        var readsOthers = caller.IsInRole(Roles.Admin) || caller.IsInRole(Roles.Finance) || caller.IsInRole(Roles.Manager);
        if (personId is null)
            return caller.Person ?? throw FlowstateException.InvalidInput("personId is required: your token names no person.");
        if (personId != caller.Person && !readsOthers)
            throw new FlowstateException(ErrorCodes.Forbidden, "You may only see your own usage.");
        return personId;
    }

    /// <summary>The <c>scope</c> argument; ids are checked against the workforce by the grain (NOT_FOUND).</summary>
    public static Scope ScopeOf(IResolveFieldContext c)
    {
        var scope = new Args(c.GetArgument<Dictionary<string, object?>?>("scope"));
        var result = new Scope(scope.String("costCentreId"), scope.String("teamId"), scope.String("projectId"), scope.String("personId"));
        scope.ThrowIfInvalid();
        return result;
    }

    /// <summary>Days a window may end on: a year's window reaches back into 2000 at the earliest, and periods are years 2000–2999.</summary>
    private static readonly (DateOnly First, DateOnly Last) AsOfDays = (new(2001, 1, 1), new(2999, 12, 31));

    /// <summary>The optional <c>asOf</c> day a window ends on (today when absent).</summary>
    public static DateOnly? AsOf(IResolveFieldContext c) => OptionalArgument<DateOnly>(c, "asOf") switch
    {
        { } day when day < AsOfDays.First || day > AsOfDays.Last =>
            throw FlowstateException.InvalidInput($"asOf: {day:yyyy-MM-dd} is outside {AsOfDays.First:yyyy-MM-dd} to {AsOfDays.Last:yyyy-MM-dd}."),
        var day => day,
    };

    /// <summary>An optional scalar argument; a value that does not parse fails the request with INVALID_INPUT.</summary>
    public static T? OptionalArgument<T>(IResolveFieldContext c, string name) where T : struct => c.GetArgument<object?>(name) switch
    {
        null => null,
        T value => value,
        Malformed m => throw FlowstateException.InvalidInput(m.Describe(name)),
        var other => throw FlowstateException.InvalidInput($"{name}: unexpected value '{other}'."),
    };

    public static int PageSize(int first) => first is >= 1 and <= MaxPageSize
        ? first
        : throw FlowstateException.InvalidInput($"first must be between 1 and {MaxPageSize}; got {first}.");
}

/// <summary>Batch loading of row grains for a page (one parallel round of calls).</summary>
public static class Rows
{
    public static async Task<Dictionary<string, BillingRowView>> LoadAsync(Orleans.IGrainFactory grains, string org, IEnumerable<string> ids)
    {
        var views = await Task.WhenAll(ids.Distinct().Select(id => grains.GetGrain<IBillingRowGrain>(GrainKeys.Row(org, id)).GetAsync()));
        return views.OfType<BillingRowView>().ToDictionary(v => v.Id);
    }
}
