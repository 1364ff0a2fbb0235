using Flowstate.Attribution;
using Flowstate.GraphQL.Types;
using Flowstate.Ingestion;
using Flowstate.Integrations;
using Flowstate.Providers;
using Flowstate.Reconciliation;
using Flowstate.Workforce;
using GraphQL;
using GraphQL.Types;
using Microsoft.Extensions.DependencyInjection;

namespace Flowstate.GraphQL.Schema;

/// <summary>Mutations: each maps its input and makes one grain call; the grain validates and acts.</summary>
public sealed class Mutation : ObjectGraphType
{
    public const int MaxBatch = 5000;

    public Mutation()
    {
        Name = "Mutation";

        Field<NonNullGraphType<RowActionPayloadType>>("applyRowAction")
            .Argument<NonNullGraphType<RowActionInputType>>("input")
            .ResolveAsync(async c =>
            {
                var input = Input(c);
                var rowId = input.String("rowId")!;
                var command = new RowCommand(input.Enum("action", RowAction.Confirm), input.Note("note"), input.Int("expectedVersion"), c.Caller().Actor);
                input.ThrowIfInvalid();
                if (!GrainKeys.TryParseRowId(rowId, out _, out _))
                    throw FlowstateException.NotFound($"No billing row with id '{rowId}'.");
                var metrics = c.RequestServices!.GetRequiredService<FlowstateMetrics>();
                try
                {
                    var result = await c.Grains().GetGrain<IBillingRowGrain>(GrainKeys.Row(c.Caller().Org, rowId)).ApplyActionAsync(command);
                    metrics.RowAction(command.Action.ToString(), "applied");
                    return result;
                }
                catch (Exception e)
                {
                    metrics.RowAction(command.Action.ToString(), (e as FlowstateException)?.Code ?? "INTERNAL");
                    throw;
                }
            });

        Field<NonNullGraphType<IngestPayloadType>>("ingestBillingRows")
            .Argument<NonNullGraphType<IngestBillingRowsInputType>>("input")
            .ResolveAsync(async c =>
            {
                var input = Input(c);
                var providerId = input.String("providerId")!;
                input.ThrowIfInvalid();
                var rows = Batch(input.Items("rows")).Select(r =>
                {
                    var row = new BillingRowRequest(r.String("externalId"), r.String("subject"), r.String("account"), r.Struct<DateOnly>("usageDate"),
                        r.Struct<decimal>("totalCostUsd"), r.Struct<decimal>("listCostUsd"), r.Enum("kind", BillingRowKind.Usage), r.Note("description"), [],
                        r.Struct<bool>("provisional") ?? false);
                    return row with { FieldErrors = r.Errors };
                }).ToList();
                return await c.Grains().GetGrain<IIngestionGrain>(c.Caller().Org).IngestBillingRowsAsync(providerId, rows);
            });

        Field<NonNullGraphType<IngestPayloadType>>("ingestSessions")
            .Argument<NonNullGraphType<IngestSessionsInputType>>("input")
            .ResolveAsync(async c =>
            {
                var input = Input(c);
                var wait = input.Enum("waitFor", IngestWait.Visible);
                input.ThrowIfInvalid();
                var sessions = Batch(input.Items("sessions")).Select(s =>
                {
                    var ctx = s.Object("context");
                    var request = new SessionRequest(s.String("id"), s.String("subject"), s.String("providerId"), s.String("model"),
                        s.Struct<DateTimeOffset>("startedAt"), s.Struct<DateTimeOffset>("endedAt"), s.Long("inputTokens"), s.Long("outputTokens"),
                        s.Long("cachedInputTokens"), s.Int("turns"), s.Struct<decimal>("costUsd"), s.String("apiKeyId"), s.String("projectId"),
                        ctx.IsNull ? null : new SessionContext(ctx.String("repo"), ctx.String("path"), ctx.String("app")), s.Double("frustration"), [],
                        s.Note("prompt", InputLimits.MaxContent), s.Note("response", InputLimits.MaxContent));
                    return request with { FieldErrors = s.Errors };
                }).ToList();
                return await c.Grains().GetGrain<IIngestionGrain>(c.Caller().Org).IngestSessionsAsync(sessions, wait);
            });

        Field<NonNullGraphType<ProviderType>>("configureProvider")
            .Argument<NonNullGraphType<ProviderInputType>>("input")
            .ResolveAsync(async c =>
            {
                var input = Input(c);
                var plan = input.Object("plan");
                var tolerance = input.Object("tolerance");
                var priceArgs = input.Objects("prices").ToList();
                var prices = priceArgs.Select(p => new ModelPrice(p.String("model")!, p.Struct<decimal>("inputPerMTokUsd") ?? 0,
                    p.Struct<decimal>("outputPerMTokUsd") ?? 0, p.Struct<decimal>("cachedInputPerMTokUsd") ?? 0,
                    p.Struct<DateOnly>("effectiveFrom") ?? DateOnly.MinValue)).ToList();
                var config = new ProviderConfig(input.String("id")!, input.String("name")!, input.String("modality"),
                    new ProviderPlan(plan.Struct<decimal>("seatFeeUsd") ?? 0, plan.Struct<decimal>("includedUsageUsd") ?? 0, plan.Struct<decimal>("discount") ?? 0),
                    prices,
                    new MatchTolerance(tolerance.Struct<decimal>("autoMatchRatio") ?? MatchTolerance.Default.AutoMatchRatio,
                                       tolerance.Struct<decimal>("suggestRatio") ?? MatchTolerance.Default.SuggestRatio),
                    TelemetryServices(input));
                var connector = input.Object("connector");
                var settings = connector.IsNull ? null : new IntegrationSettings(connector.Enum("kind", IntegrationKind.OpenAi), connector.String("baseUrl"),
                    connector.String("account"), connector.Int("everyMinutes") ?? 60, connector.Int("settleDays") ?? 3);
                var credential = connector.String("credential");
                input.ThrowIfInvalid();
                if (settings is not null)
                {
                    // Checked before anything changes, so a bad connector leaves the provider as it was.
                    IntegrationRules.Validate(settings);
                    IntegrationRules.ValidateCredential(credential);
                }
                var key = GrainKeys.Join(c.Caller().Org, config.Id);
                var view = await c.Grains().GetGrain<IProviderGrain>(key).ConfigureAsync(config);
                if (settings is not null) await c.Grains().GetGrain<IIntegrationGrain>(key).ConfigureAsync(settings, credential);
                return view;
            });

        Field<NonNullGraphType<PullRunType>>("pullProvider")
            .Description("Pulls the provider's bills now (by default from the oldest unsettled day to today) and returns the finished run.")
            .Argument<NonNullGraphType<PullProviderInputType>>("input")
            .ResolveAsync(async c =>
            {
                var input = Input(c);
                var (from, to) = (input.Struct<DateOnly>("from"), input.Struct<DateOnly>("to"));
                input.ThrowIfInvalid();
                if (from > to) throw FlowstateException.InvalidInput($"from {from:yyyy-MM-dd} is after to {to:yyyy-MM-dd}.");
                return await c.Grains().GetGrain<IIntegrationGrain>(ProviderKey(c, input)).PullAsync(from, to);
            });

        Field<NonNullGraphType<PullRunType>>("importFocus")
            .Description("Imports a FinOps FOCUS CSV export (any SaaS or cloud bill) as the provider's billing rows; a file with a bad line imports nothing.")
            .Argument<NonNullGraphType<ImportFocusInputType>>("input")
            .ResolveAsync(async c =>
            {
                var input = Input(c);
                var csv = input.Note("csv", MaxFocusChars)!;
                if (csv.Length > MaxFocusChars) throw FlowstateException.InvalidInput($"csv is at most {MaxFocusChars} characters; split the export by month.");
                input.ThrowIfInvalid();
                return await c.Grains().GetGrain<IIntegrationGrain>(ProviderKey(c, input)).ImportFocusAsync(csv);
            });

        Field<NonNullGraphType<WorkforcePayloadType>>("upsertWorkforce")
            .Description("Merges cost centres, teams, people and projects into the workforce model; all or nothing.")
            .Argument<NonNullGraphType<WorkforceInputType>>("input")
            .ResolveAsync(async c =>
            {
                var input = Input(c);
                var upsert = new WorkforceUpsert(
                    input.Objects("costCentres").Select(x => new CostCentre(x.String("id")!, x.String("name")!)).ToList(),
                    input.Objects("teams").Select(x => new Team(x.String("id")!, x.String("name")!, x.String("parentId"), x.String("costCentreId"), x.String("valueStreamId"))).ToList(),
                    input.Objects("people").Select(x => new Person(x.String("id")!, x.String("email"), x.String("name")!, x.Enum("kind", PersonKind.Employee),
                        x.Objects("allocations").Select(a => new Allocation(a.String("teamId")!, a.Struct<decimal>("fte") ?? 0, a.Struct<DateOnly>("effectiveFrom") ?? DateOnly.MinValue)).ToList(),
                        x.StringList("aliases", InputLimits.MaxAliases, InputLimits.MaxAliasLength))).ToList(),
                    input.Objects("projects").Select(x => new Project(x.String("id")!, x.String("name")!, x.Strings("repos").ToList())).ToList(),
                    input.Objects("valueStreams").Select(x => new ValueStream(x.String("id")!, x.String("name")!)).ToList());
                input.ThrowIfInvalid();
                return await c.Grains().GetGrain<IOrgGrain>(c.Caller().Org).UpsertWorkforceAsync(upsert);
            });
        Field<NonNullGraphType<SessionType>>("markSessionProject")
            .Description("Marks a session with a project: its spend moves in every rollup, and future sessions with its working context get the project.")
            .Argument<NonNullGraphType<MarkSessionProjectInputType>>("input")
            .ResolveAsync(async c =>
            {
                var input = Input(c);
                var sessionId = input.String("sessionId")!;
                var projectId = input.String("projectId")!;
                input.ThrowIfInvalid();
                if (sessionId.Length > GrainKeys.MaxIdLength) throw FlowstateException.NotFound($"No session with id '{sessionId}'.");
                // An engineer marks only their own sessions, a manager only their teams' people's.
                if (!ScopeAccess.SeesWholeOrg(c.Caller()))
                {
                    var session = await c.Grains().GetGrain<ISessionQueryGrain>(c.Caller().Org).GetAsync(sessionId, false)
                                  ?? throw FlowstateException.NotFound($"No session with id '{sessionId}'.");
                    await ScopeAccess.RequirePersonAsync(c, session.Person?.Id, "this session");
                }
                return await c.Grains().GetGrain<ISessionGrain>(GrainKeys.Join(c.Caller().Org, sessionId)).MarkProjectAsync(projectId);
            });

        IngestKeyFields.AddMutations(this);
        OrgFields.AddMutations(this);
    }

    /// <summary>telemetryService and telemetryServices together, in that order, each once.</summary>
    private static IReadOnlyList<string>? TelemetryServices(Args input)
    {
        var services = new[] { input.String("telemetryService") }.Concat(input.Strings("telemetryServices"))
            .OfType<string>().Select(s => s.Trim()).Where(s => s.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        return services.Count == 0 ? null : services;
    }

    public const int MaxFocusChars = 20_000_000;

    private static string ProviderKey(IResolveFieldContext c, Args input)
    {
        var id = input.String("providerId")!;
        input.ThrowIfInvalid();
        if (id.Length > GrainKeys.MaxIdLength) throw FlowstateException.NotFound($"Unknown provider '{id[..40]}…'.");
        return GrainKeys.Join(c.Caller().Org, id);
    }

    private static Args Input(IResolveFieldContext c) => new(c.GetArgument<Dictionary<string, object?>>("input"));

    private static List<Args> Batch(IEnumerable<Args> items)
    {
        var list = items.ToList();
        return list.Count <= MaxBatch ? list : throw FlowstateException.InvalidInput($"At most {MaxBatch} items per batch; got {list.Count}. Split the batch.");
    }
}
