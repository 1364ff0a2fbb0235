using GraphQL.Types;

namespace Flowstate.GraphQL.Types;

/// <summary>What can leave Flowstate as a file (DESIGN §12).</summary>
public enum ExportFormat
{
    /// <summary>The confirmed ledger of a period as FOCUS 1.2 CSV.</summary>
    Focus = 0,
    /// <summary>Every row of a period with its status, match and residual cause, as plain CSV.</summary>
    Rows = 1,
    /// <summary>The period's observed sessions with their person, team, cost centre and project, as plain CSV.</summary>
    Attribution = 2,
}

/// <summary>A period's export as a link: fetch it with the same bearer token as GraphQL (admin or finance).</summary>
public sealed record ExportLink(ExportFormat Format, Period Period, string Url);

/// <summary>Where the host serves exports (<c>GET /exports/{format}?period=YYYY-MM</c>).</summary>
public static class ExportLinks
{
    public const string Path = "/exports";

    public static ExportLink Of(ExportFormat format, Period period) =>
        new(format, period, $"{Path}/{format.ToString().ToLowerInvariant()}?period={period}");
}

public sealed class ExportFormatEnum : EnumerationGraphType<ExportFormat>
{
    public ExportFormatEnum() { Name = "ExportFormat"; }
}

public sealed class ExportLinkType : ObjectGraphType<ExportLink>
{
    public ExportLinkType()
    {
        Name = "ExportLink";
        Field<NonNullGraphType<ExportFormatEnum>>("format").Resolve(c => c.Source.Format);
        Field<NonNullGraphType<StringGraphType>>("period").Resolve(c => c.Source.Period.ToString());
        Field<NonNullGraphType<StringGraphType>>("url")
            .Description("Relative to the host; GET it with 'Authorization: Bearer <token>' (admin or finance). The file streams as CSV.")
            .Resolve(c => c.Source.Url);
        Field<NonNullGraphType<StringGraphType>>("contentType").Resolve(_ => "text/csv; charset=utf-8");
        Field<StringGraphType>("focusVersion").Description("The FOCUS version of a FOCUS export; null for plain CSV.")
            .Resolve(c => c.Source.Format == ExportFormat.Focus ? "1.2" : null);
    }
}
