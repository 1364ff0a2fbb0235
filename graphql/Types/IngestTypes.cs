using GraphQL;
using Flowstate.Ingestion;
using Flowstate.Integrations;
using Flowstate.Providers;
using Flowstate.Workforce;
using GraphQL.Types;

namespace Flowstate.GraphQL.Types;

public sealed class IngestRejectionType : ObjectGraphType<IngestRejection>
{
    public IngestRejectionType()
    {
        Name = "IngestRejection";
        Field<NonNullGraphType<IntGraphType>>("index").Resolve(c => c.Source.Index);
        Field<NonNullGraphType<StringGraphType>>("code").Resolve(c => c.Source.Code);
        Field<NonNullGraphType<StringGraphType>>("message").Resolve(c => c.Source.Message);
    }
}

public sealed class IngestPayloadType : ObjectGraphType<IngestResult>
{
    public IngestPayloadType()
    {
        Name = "IngestPayload";
        Field<NonNullGraphType<IntGraphType>>("accepted").Resolve(c => c.Source.Accepted);
        Field<NonNullGraphType<IntGraphType>>("duplicates").Resolve(c => c.Source.Duplicates);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<IngestRejectionType>>>>("rejected").Resolve(c => c.Source.Rejected);
        Field<NonNullGraphType<BooleanGraphType>>("visible")
            .Description("Whether the accepted items already show in queries; false when the answer came first (waitFor: DURABLE, or the fold took longer than the wait). Durable either way.")
            .Resolve(c => c.Source.Visible);
    }
}

public sealed class WorkforcePayloadType : ObjectGraphType<WorkforceCounts>
{
    public WorkforcePayloadType()
    {
        Name = "WorkforcePayload";
        Field<NonNullGraphType<IntGraphType>>("costCentres").Resolve(c => c.Source.CostCentres);
        Field<NonNullGraphType<IntGraphType>>("teams").Resolve(c => c.Source.Teams);
        Field<NonNullGraphType<IntGraphType>>("people").Resolve(c => c.Source.People);
        Field<NonNullGraphType<IntGraphType>>("projects").Resolve(c => c.Source.Projects);
        Field<NonNullGraphType<IntGraphType>>("valueStreams").Resolve(c => c.Source.ValueStreams);
    }
}

public sealed class CoverageStateEnum : EnumerationGraphType<CoverageState>
{
    public CoverageStateEnum() { Name = "CoverageState"; }
}

public sealed class IngestRunType : ObjectGraphType<IngestRun>
{
    public IngestRunType()
    {
        Name = "IngestRun";
        Field<NonNullGraphType<DateTimeScalar>>("at").Resolve(c => c.Source.At);
        Field<NonNullGraphType<IntGraphType>>("accepted").Resolve(c => c.Source.Accepted);
        Field<NonNullGraphType<IntGraphType>>("duplicates").Resolve(c => c.Source.Duplicates);
        Field<NonNullGraphType<IntGraphType>>("rejected").Resolve(c => c.Source.Rejected);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("errors").Resolve(c => c.Source.Errors);
        Field<NonNullGraphType<PullStatusEnum>>("status")
            .Description("SUCCEEDED when nothing was rejected, FAILED when nothing was taken (every item rejected), PARTIAL otherwise.")
            .Resolve(c => c.Source.Status);
    }
}

public sealed class TelemetryStatusType : ObjectGraphType<(ProviderView Provider, IngestBacklog Backlog)>
{
    public TelemetryStatusType()
    {
        Name = "TelemetryStatus";
        Description = "A provider's telemetry feed: its last batch, the last one that brought data, and what is acknowledged but not folded yet.";
        Field<IngestRunType>("lastRun").Description("The last batch, whatever came of it (see status).").Resolve(c => c.Source.Provider.LastTelemetry);
        Field<IngestRunType>("lastReceived").Description("The last batch that brought data (accepted or duplicate items); a rejected-only batch does not move it.")
            .Resolve(c => c.Source.Provider.LastTelemetryReceived);
        Field<NonNullGraphType<FloatGraphType>>("foldLagSeconds")
            .Description("How long the oldest acknowledged item of this provider has waited to be folded into sessions and attribution (0 when none waits).")
            .Resolve(c => c.Source.Backlog.FoldLagSeconds);
        Field<NonNullGraphType<IntGraphType>>("unfoldedItems").Description("Items of this provider acknowledged and not folded yet.")
            .Resolve(c => (int)Math.Min(int.MaxValue, c.Source.Backlog.UnfoldedItems));
    }
}

public sealed class ProviderType : ObjectGraphType<ProviderView>
{
    public ProviderType()
    {
        Name = "Provider";
        Field<NonNullGraphType<IdGraphType>>("id").Resolve(c => c.Source.Config.Id);
        Field<NonNullGraphType<StringGraphType>>("name").Resolve(c => c.Source.Config.Name);
        Field<StringGraphType>("modality").Resolve(c => c.Source.Config.Modality);
        Field<NonNullGraphType<DecimalScalar>>("seatFeeUsd").Resolve(c => c.Source.Config.Plan.SeatFeeUsd);
        Field<NonNullGraphType<DecimalScalar>>("includedUsageUsd").Resolve(c => c.Source.Config.Plan.IncludedUsageUsd);
        Field<NonNullGraphType<DecimalScalar>>("discount").Resolve(c => c.Source.Config.Plan.Discount);
        Field<NonNullGraphType<DecimalScalar>>("autoMatchRatio").Resolve(c => c.Source.Config.Tolerance.AutoMatchRatio);
        Field<NonNullGraphType<DecimalScalar>>("suggestRatio").Resolve(c => c.Source.Config.Tolerance.SuggestRatio);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<ModelPriceType>>>>("prices").Resolve(c => c.Source.Config.Prices);
        Field<NonNullGraphType<CoverageStateEnum>>("coverage")
            .Description("Which feeds brought data for a usage day in the last `days` days (billing rows, telemetry); a feed that stops ages out.")
            .Argument<IntGraphType>("days", a => a.DefaultValue = ProviderView.DefaultCoverageDays)
            .Resolve(c => c.Source.Coverage(Math.Clamp(c.GetArgument("days", ProviderView.DefaultCoverageDays), 1, 3660)));
        Field<DateScalar>("latestBillingDay").Description("The newest usage day a billing row brought.").Resolve(c => c.Source.LatestBillingDay);
        Field<DateScalar>("latestTelemetryDay").Description("The newest day telemetry brought.").Resolve(c => c.Source.LatestTelemetryDay);
        Field<IngestRunType>("lastBillingPull").Resolve(c => c.Source.LastBillingPull);
        Field<IngestRunType>("lastTelemetry").Resolve(c => c.Source.LastTelemetry);
        Field<NonNullGraphType<TelemetryStatusType>>("telemetryStatus")
            .Description("The telemetry feed's status, with the fold lag of what it sent (DESIGN §9).")
            .ResolveAsync(async c => (object?)(c.Source,
                await c.Grains().GetGrain<IIngestionGrain>(c.Caller().Org).GetBacklogAsync(c.Source.Config.Id)));
        Field<StringGraphType>("telemetryService").Description("The OpenTelemetry service.name whose telemetry is this provider's usage.")
            .Resolve(c => c.Source.Config.TelemetryServices?.FirstOrDefault());
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("telemetryServices")
            .Resolve(c => c.Source.Config.TelemetryServices ?? []);
        Field<IntegrationType>("integration").Description("The billing connector's status and runs; null when the provider has none.")
            .ResolveAsync(async c =>
            {
                var view = await c.Grains().GetGrain<Flowstate.Integrations.IIntegrationGrain>(GrainKeys.Join(c.Caller().Org, c.Source.Config.Id)).GetAsync();
                return view.Settings is null && view.Runs.Count == 0 ? null : view;
            });
    }
}

public sealed class ModelPriceType : ObjectGraphType<ModelPrice>
{
    public ModelPriceType()
    {
        Name = "ModelPrice";
        Field<NonNullGraphType<StringGraphType>>("model").Resolve(c => c.Source.Model);
        Field<NonNullGraphType<DecimalScalar>>("inputPerMTokUsd").Resolve(c => c.Source.InputPerMTokUsd);
        Field<NonNullGraphType<DecimalScalar>>("outputPerMTokUsd").Resolve(c => c.Source.OutputPerMTokUsd);
        Field<NonNullGraphType<DecimalScalar>>("cachedInputPerMTokUsd").Resolve(c => c.Source.CachedInputPerMTokUsd);
        Field<NonNullGraphType<DateScalar>>("effectiveFrom").Resolve(c => c.Source.EffectiveFrom);
    }
}
