using Flowstate.Ingestion;
using GraphQL.Types;

namespace Flowstate.GraphQL.Types;

/// <summary>Input object types of the contract (DESIGN §4). Fields are read with <see cref="Args"/>.</summary>
public sealed class RowActionInputType : InputObjectGraphType
{
    public RowActionInputType()
    {
        Name = "RowActionInput";
        Field<NonNullGraphType<IdGraphType>>("rowId");
        Field<NonNullGraphType<RowActionEnum>>("action");
        Field<StringGraphType>("note");
        Field<IntGraphType>("expectedVersion");
    }
}

public sealed class BillingRowInputType : InputObjectGraphType
{
    public BillingRowInputType()
    {
        Name = "BillingRowInput";
        Field<NonNullGraphType<StringGraphType>>("externalId");
        Field<StringGraphType>("subject");
        Field<StringGraphType>("account");
        Field<NonNullGraphType<DateScalar>>("usageDate");
        Field<NonNullGraphType<DecimalScalar>>("totalCostUsd");
        Field<DecimalScalar>("listCostUsd");
        Field<BillingRowKindEnum>("kind").DefaultValue(Flowstate.Reconciliation.BillingRowKind.Usage);
        Field<StringGraphType>("description");
        Field<BooleanGraphType>("provisional").DefaultValue(false)
            .Description("The provider has not settled this day yet: the amount may still change, and a later pull replaces it.");
    }
}

public sealed class IngestBillingRowsInputType : InputObjectGraphType
{
    public IngestBillingRowsInputType()
    {
        Name = "IngestBillingRowsInput";
        Field<NonNullGraphType<IdGraphType>>("providerId");
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<BillingRowInputType>>>>("rows");
    }
}

public sealed class SessionContextInputType : InputObjectGraphType
{
    public SessionContextInputType()
    {
        Name = "SessionContextInput";
        Field<StringGraphType>("repo");
        Field<StringGraphType>("path");
        Field<StringGraphType>("app");
    }
}

public sealed class SessionInputType : InputObjectGraphType
{
    public SessionInputType()
    {
        Name = "SessionInput";
        Field<NonNullGraphType<IdGraphType>>("id");
        Field<NonNullGraphType<StringGraphType>>("subject");
        Field<NonNullGraphType<IdGraphType>>("providerId");
        Field<NonNullGraphType<StringGraphType>>("model");
        Field<NonNullGraphType<DateTimeScalar>>("startedAt");
        Field<DateTimeScalar>("endedAt");
        Field<NonNullGraphType<LongGraphType>>("inputTokens");
        Field<NonNullGraphType<LongGraphType>>("outputTokens");
        Field<LongGraphType>("cachedInputTokens").DefaultValue(0L);
        Field<IntGraphType>("turns");
        Field<DecimalScalar>("costUsd");
        Field<StringGraphType>("apiKeyId");
        Field<IdGraphType>("projectId");
        Field<SessionContextInputType>("context");
        Field<FloatGraphType>("frustration");
        Field<StringGraphType>("prompt").Description($"The prompt text, at most {InputLimits.MaxContent} characters; kept apart from the sessions table and shown only as DESIGN §7 allows (Session.content).");
        Field<StringGraphType>("response").Description($"The response text, at most {InputLimits.MaxContent} characters (see prompt).");
    }
}

public sealed class IngestSessionsInputType : InputObjectGraphType
{
    public IngestSessionsInputType()
    {
        Name = "IngestSessionsInput";
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<SessionInputType>>>>("sessions");
        Field<IngestWaitEnum>("waitFor").DefaultValue(IngestWait.Visible)
            .Description("VISIBLE (default): answer once the sessions show in sessions and attribution (read-your-writes, bounded wait; see IngestPayload.visible). DURABLE: answer as soon as they are durable in the ingest log (bulk loaders, agents).");
    }
}

public sealed class IngestWaitEnum : EnumerationGraphType<IngestWait>
{
    public IngestWaitEnum() { Name = "IngestWait"; }
}

public sealed class PlanInputType : InputObjectGraphType
{
    public PlanInputType()
    {
        Name = "PlanInput";
        Field<DecimalScalar>("seatFeeUsd");
        Field<DecimalScalar>("includedUsageUsd");
        Field<DecimalScalar>("discount");
    }
}

public sealed class PriceInputType : InputObjectGraphType
{
    public PriceInputType()
    {
        Name = "PriceInput";
        Field<NonNullGraphType<StringGraphType>>("model");
        Field<NonNullGraphType<DecimalScalar>>("inputPerMTokUsd");
        Field<NonNullGraphType<DecimalScalar>>("outputPerMTokUsd");
        Field<DecimalScalar>("cachedInputPerMTokUsd");
        Field<DateScalar>("effectiveFrom");
    }
}

public sealed class ToleranceInputType : InputObjectGraphType
{
    public ToleranceInputType()
    {
        Name = "ToleranceInput";
        Field<DecimalScalar>("autoMatchRatio");
        Field<DecimalScalar>("suggestRatio");
    }
}

public sealed class ProviderInputType : InputObjectGraphType
{
    public ProviderInputType()
    {
        Name = "ProviderInput";
        Field<NonNullGraphType<IdGraphType>>("id");
        Field<NonNullGraphType<StringGraphType>>("name");
        Field<StringGraphType>("modality");
        Field<PlanInputType>("plan");
        Field<ListGraphType<NonNullGraphType<PriceInputType>>>("prices");
        Field<ToleranceInputType>("tolerance");
        Field<StringGraphType>("telemetryService")
            .Description("The OpenTelemetry service.name whose telemetry is this provider's usage, e.g. claude-code (see POST /v1/logs).");
        Field<ListGraphType<NonNullGraphType<StringGraphType>>>("telemetryServices")
            .Description("More service.name values of the same provider, e.g. claude-code-desktop.");
        Field<ConnectorInputType>("connector").Description("Pull this provider's bills from its admin API on a schedule (DESIGN §8).");
    }
}

public sealed class AllocationInputType : InputObjectGraphType
{
    public AllocationInputType()
    {
        Name = "AllocationInput";
        Field<NonNullGraphType<IdGraphType>>("teamId");
        Field<NonNullGraphType<DecimalScalar>>("fte");
        Field<DateScalar>("effectiveFrom");
    }
}

public sealed class PersonKindEnum : EnumerationGraphType<Flowstate.Workforce.PersonKind>
{
    public PersonKindEnum() { Name = "PersonKind"; }
}

public sealed class WorkforceInputType : InputObjectGraphType
{
    public WorkforceInputType()
    {
        Name = "WorkforceInput";
        Field<ListGraphType<NonNullGraphType<CostCentreInputType>>>("costCentres");
        Field<ListGraphType<NonNullGraphType<TeamInputType>>>("teams");
        Field<ListGraphType<NonNullGraphType<PersonInputType>>>("people");
        Field<ListGraphType<NonNullGraphType<ProjectInputType>>>("projects");
        Field<ListGraphType<NonNullGraphType<CostCentreInputType>>>("valueStreams");
    }
}

public sealed class CostCentreInputType : InputObjectGraphType
{
    public CostCentreInputType()
    {
        Name = "NamedInput";
        Description = "A cost centre or value stream: { id, name }.";
        Field<NonNullGraphType<IdGraphType>>("id");
        Field<NonNullGraphType<StringGraphType>>("name");
    }
}

public sealed class TeamInputType : InputObjectGraphType
{
    public TeamInputType()
    {
        Name = "TeamInput";
        Field<NonNullGraphType<IdGraphType>>("id");
        Field<NonNullGraphType<StringGraphType>>("name");
        Field<IdGraphType>("parentId");
        Field<IdGraphType>("costCentreId");
        Field<IdGraphType>("valueStreamId");
    }
}

public sealed class PersonInputType : InputObjectGraphType
{
    public PersonInputType()
    {
        Name = "PersonInput";
        Field<NonNullGraphType<IdGraphType>>("id");
        Field<StringGraphType>("email");
        Field<NonNullGraphType<StringGraphType>>("name");
        Field<PersonKindEnum>("kind").DefaultValue(Flowstate.Workforce.PersonKind.Employee);
        Field<ListGraphType<NonNullGraphType<AllocationInputType>>>("allocations");
        Field<ListGraphType<NonNullGraphType<StringGraphType>>>("aliases")
            .Description($"Other names the person goes by in billing rows and telemetry (GitHub login, telemetry user ids), matched case-insensitively like emails; at most {InputLimits.MaxAliases} of at most {InputLimits.MaxAliasLength} characters. Replaces the stored list; two people cannot share one.");
    }
}

public sealed class ProjectInputType : InputObjectGraphType
{
    public ProjectInputType()
    {
        Name = "ProjectInput";
        Field<NonNullGraphType<IdGraphType>>("id");
        Field<NonNullGraphType<StringGraphType>>("name");
        Field<ListGraphType<NonNullGraphType<StringGraphType>>>("repos");
    }
}
