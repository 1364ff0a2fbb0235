using Flowstate.Integrations;
using GraphQL;
using GraphQL.Types;
using GraphQLParser.AST;

namespace Flowstate.GraphQL.Types;

/// <summary>DESIGN §8's names (OPENAI, not the OPEN_AI the generic enum type would derive).</summary>
public sealed class ConnectorKindEnum : EnumerationGraphType
{
    public ConnectorKindEnum()
    {
        Name = "ConnectorKind";
        Add("OPENAI", IntegrationKind.OpenAi, "OpenAI Admin API: organization costs by project, API key and line item.");
        Add("ANTHROPIC", IntegrationKind.Anthropic, "Anthropic Admin API: cost report, and Claude Code usage as estimates.");
        Add("CURSOR", IntegrationKind.Cursor, "Cursor Admin API: usage events per person and day, checked against team spend.");
        Add("GITHUB_COPILOT", IntegrationKind.GithubCopilot, "GitHub Copilot: seats per month and AI-credit usage per login.");
    }

    /// <summary>The kinds a connector may have, as a caller writes them.</summary>
    public const string Kinds = "OPENAI, ANTHROPIC, CURSOR or GITHUB_COPILOT";

    private const string Expected = "a connector kind (" + Kinds + ")";

    // An unknown kind is bad input like any other (INVALID_INPUT, naming the kinds), not a GraphQL
    // validation error with a code outside the contract: it parses to Malformed (as the scalars do),
    // which the resolver's Args reports. The schema still lists the kinds for tools and introspection.
    public override bool CanParseLiteral(GraphQLValue value) => value is GraphQLEnumValue || base.CanParseLiteral(value);

    public override bool CanParseValue(object? value) => value is string || base.CanParseValue(value);

    public override object? ParseLiteral(GraphQLValue value) =>
        value is GraphQLEnumValue e && !Values.Any(v => v.Name == e.Name.StringValue) ? new Malformed(Clip(e.Name.StringValue), Expected) : base.ParseLiteral(value);

    public override object? ParseValue(object? value) =>
        value is string name && !Values.Any(v => v.Name == name) ? new Malformed(Clip(name), Expected) : base.ParseValue(value);

    private static string Clip(string s) => s.Length > 40 ? s[..40] + "…" : s;
}

public sealed class PullStatusEnum : EnumerationGraphType<PullStatus>
{
    public PullStatusEnum() { Name = "PullStatus"; }
}

public sealed class IntegrationStateEnum : EnumerationGraphType<IntegrationState>
{
    public IntegrationStateEnum() { Name = "IntegrationState"; }
}

public sealed class ConnectorInputType : InputObjectGraphType
{
    public ConnectorInputType()
    {
        Name = "ConnectorInput";
        Description = "A provider's billing connector. The credential is write-only: it is encrypted at rest and never returned.";
        Field<NonNullGraphType<ConnectorKindEnum>>("kind");
        Field<StringGraphType>("baseUrl").Description("The API's base URL; by default the provider's public API. For tests and proxies.");
        Field<StringGraphType>("credential").Description("The provider's admin key or token. Omit it to keep the one already set.");
        Field<StringGraphType>("account").Description("The GitHub organization, for GITHUB_COPILOT.");
        Field<IntGraphType>("everyMinutes").DefaultValue(60);
        Field<IntGraphType>("settleDays").DefaultValue(3).Description("Days after which a day's bill is final; rows of newer days are provisional and re-pulled.");
    }
}

public sealed class PullProviderInputType : InputObjectGraphType
{
    public PullProviderInputType()
    {
        Name = "PullProviderInput";
        Field<NonNullGraphType<IdGraphType>>("providerId");
        Field<DateScalar>("from").Description("First usage day; by default the oldest unsettled day (90 days back on the first run).");
        Field<DateScalar>("to").Description("Last usage day; by default today.");
    }
}

public sealed class ImportFocusInputType : InputObjectGraphType
{
    public ImportFocusInputType()
    {
        Name = "ImportFocusInput";
        Field<NonNullGraphType<IdGraphType>>("providerId");
        Field<NonNullGraphType<StringGraphType>>("csv").Description("A FinOps FOCUS 1.0–1.2 cost and usage export, header line first.");
    }
}

public sealed class PullRunType : ObjectGraphType<PullRun>
{
    public PullRunType()
    {
        Name = "PullRun";
        Field<NonNullGraphType<IdGraphType>>("id").Resolve(c => c.Source.Id);
        Field<NonNullGraphType<IdGraphType>>("providerId").Resolve(c => c.Source.ProviderId);
        Field<NonNullGraphType<PullStatusEnum>>("status").Resolve(c => c.Source.Status);
        Field<NonNullGraphType<DateScalar>>("from").Resolve(c => c.Source.From);
        Field<NonNullGraphType<DateScalar>>("to").Resolve(c => c.Source.To);
        Field<NonNullGraphType<DateTimeScalar>>("startedAt").Resolve(c => c.Source.StartedAt);
        Field<DateTimeScalar>("finishedAt").Resolve(c => c.Source.FinishedAt);
        Field<NonNullGraphType<IntGraphType>>("rowsCreated").Resolve(c => c.Source.RowsCreated);
        Field<NonNullGraphType<IntGraphType>>("rowsUpdated").Resolve(c => c.Source.RowsUpdated);
        Field<NonNullGraphType<IntGraphType>>("rowsUnchanged").Resolve(c => c.Source.RowsUnchanged);
        Field<NonNullGraphType<IntGraphType>>("rowsRejected").Resolve(c => c.Source.RowsRejected);
        Field<NonNullGraphType<IntGraphType>>("rowsAdjusted").Description("ADJUSTMENT rows written for confirmed or written-off rows the provider re-billed.")
            .Resolve(c => c.Source.RowsAdjusted);
        Field<StringGraphType>("error").Resolve(c => c.Source.Error);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("warnings").Description("Checks that did not add up, e.g. Cursor's cycle spend.")
            .Resolve(c => c.Source.Warnings);
        Field<NonNullGraphType<StringGraphType>>("source").Description("schedule, pullProvider or importFocus.").Resolve(c => c.Source.Source);
    }
}

public sealed class IntegrationType : ObjectGraphType<IntegrationView>
{
    public IntegrationType()
    {
        Name = "Integration";
        Field<ConnectorKindEnum>("kind").Resolve(c => c.Source.Settings?.Kind);
        Field<StringGraphType>("baseUrl").Resolve(c => c.Source.Settings?.BaseUrl);
        Field<StringGraphType>("account").Resolve(c => c.Source.Settings?.Account);
        Field<IntGraphType>("everyMinutes").Resolve(c => c.Source.Settings?.EveryMinutes);
        Field<IntGraphType>("settleDays").Resolve(c => c.Source.Settings?.SettleDays);
        Field<NonNullGraphType<IntegrationStateEnum>>("state").Resolve(c => c.Source.State);
        Field<DateTimeScalar>("lastRunAt").Resolve(c => c.Source.LastRunAt);
        Field<DateTimeScalar>("lastSuccessAt").Resolve(c => c.Source.LastSuccessAt);
        Field<DateTimeScalar>("nextRunAt").Resolve(c => c.Source.NextRunAt);
        Field<StringGraphType>("lastError").Resolve(c => c.Source.LastError);
        Field<DateTimeScalar>("failingSince").Resolve(c => c.Source.FailingSince);
        Field<NonNullGraphType<BooleanGraphType>>("credentialSet").Resolve(c => c.Source.CredentialSet);
        Field<StringGraphType>("credentialHint").Description("The credential's last 4 characters (none for a credential shorter than 8).")
            .Resolve(c => c.Source.CredentialHint);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<PullRunType>>>>("runs")
            .Argument<IntGraphType>("first", a => a.DefaultValue = 10)
            .Resolve(c => c.Source.Runs.Take(Math.Clamp(c.GetArgument("first", 10), 0, 50)).ToList());
    }
}

public sealed class MonitoringGapKindEnum : EnumerationGraphType<MonitoringGapKind>
{
    public MonitoringGapKindEnum() { Name = "MonitoringGapKind"; }
}

public sealed class MonitoringGapType : ObjectGraphType<MonitoringGap>
{
    public MonitoringGapType()
    {
        Name = "MonitoringGap";
        Field<NonNullGraphType<MonitoringGapKindEnum>>("kind").Resolve(c => c.Source.Kind);
        Field<NonNullGraphType<IdGraphType>>("providerId").Resolve(c => c.Source.ProviderId);
        Field<IdGraphType>("rowId").Description("The seat row, for a quiet seat.").Resolve(c => c.Source.RowId);
        Field<StringGraphType>("subjectKey").Description("Whom the seat row names (p:person, u:unresolved subject).").Resolve(c => c.Source.Subject);
        Field<DateTimeScalar>("since").Resolve(c => c.Source.Since);
        Field<NonNullGraphType<StringGraphType>>("message").Resolve(c => c.Source.Message);
    }
}
