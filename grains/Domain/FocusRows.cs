using System.Globalization;
using System.Text.Json;
using Flowstate.Attribution;
using Flowstate.Reconciliation;
using Flowstate.Storage;
using Flowstate.Workforce;

namespace Flowstate.Domain;

/// <summary>Who a charge belongs to: the person, their main team and its cost centre, and the whole FTE split.</summary>
public sealed record Allocated(string? PersonId, string? TeamId, string? CostCentreId, string? Split)
{
    public static readonly Allocated Nobody = new(null, null, null, null);

    /// <summary>The allocation of a subject on a day: the team with the largest FTE (ties by id) and the split as <c>team=fte;…</c>.</summary>
    public static Allocated Of(WorkforceModel? workforce, string? personId, DateOnly day)
    {
        if (personId is null) return Nobody;
        if (workforce?.Snapshot.People.GetValueOrDefault(personId) is not { } person) return new(personId, null, null, null);
        var allocations = WorkforceModel.AllocationsOn(person, day).OrderByDescending(a => a.Fte).ThenBy(a => a.TeamId, StringComparer.Ordinal).ToList();
        if (allocations.Count == 0) return new(personId, null, null, null);
        var main = allocations[0].TeamId;
        var split = string.Join(';', allocations.OrderBy(a => a.TeamId, StringComparer.Ordinal)
            .Select(a => $"{a.TeamId}={a.Fte.ToString(CultureInfo.InvariantCulture)}"));
        return new(personId, main, workforce.Snapshot.Teams.ContainsKey(main) ? workforce.CostCentreOf(main) : null, split);
    }
}

/// <summary>
/// The confirmed ledger as FOCUS 1.2 rows (FinOps Open Cost and Usage Specification): every Mandatory
/// column, the Conditional ones Flowstate knows (ChargeFrequency, SubAccountId/Name, Tags), and
/// Flowstate's own columns prefixed <c>x_</c> as the spec asks of custom columns. Costs are in USD;
/// Flowstate's billed amount is the invoiced, effective and contracted cost alike (no amortization).
/// Pure: a row and the names around it in, the column values out (null for an empty cell).
/// </summary>
public static class FocusRows
{
    public const string Version = "1.2";
    public const string ServiceCategory = "AI and Machine Learning";

    public static readonly IReadOnlyList<string> Columns =
    [
        "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodEnd", "BillingPeriodStart",
        "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargeFrequency", "ChargePeriodEnd", "ChargePeriodStart",
        "ContractedCost", "EffectiveCost", "InvoiceIssuerName", "ListCost", "PricingQuantity", "PricingUnit", "ProviderName",
        "PublisherName", "ServiceCategory", "ServiceName", "SubAccountId", "SubAccountName", "Tags",
        "x_FlowstateRowId", "x_FlowstateLedgerPeriod", "x_FlowstateObservedCost", "x_FlowstateNote",
    ];

    /// <summary>The FOCUS values of one ledger row, in <see cref="Columns"/> order.</summary>
    public static string?[] Values(string org, Period ledgerPeriod, LedgerRow row, string providerName, Allocated who)
    {
        // The billing period is the month the provider invoiced (the usage date's), so the charge period
        // lies inside it even for a row deferred into a later ledger month (x_FlowstateLedgerPeriod).
        var billing = Period.Of(row.UsageDate);
        var (chargeStart, chargeEnd) = row.Kind == BillingRowKind.Seat
            ? (billing.Start, billing.Next.Start)
            : (Start(row.UsageDate), Start(row.UsageDate.AddDays(1)));
        var quantity = row.Kind is BillingRowKind.Usage or BillingRowKind.Seat ? "1" : null;
        return
        [
            Money(row.Amount), $"{org}/{row.ProviderId}", $"{providerName} ({org})", "USD", Time(billing.Next.Start), Time(billing.Start),
            Category(row.Kind), null, row.Description ?? $"{providerName} {Category(row.Kind).ToLowerInvariant()} {row.ExternalId}", Frequency(row.Kind),
            Time(chargeEnd), Time(chargeStart),
            Money(row.Amount), Money(row.Amount), providerName, Money(row.ListAmount ?? row.Amount), quantity,
            quantity is null ? null : row.Kind == BillingRowKind.Seat ? "Seats" : "Days", providerName,
            providerName, ServiceCategory, providerName, row.Account, row.Account, Tags(row, who),
            row.RowId, ledgerPeriod.ToString(), Money(row.Observed), row.Note,
        ];
    }

    public static string Category(BillingRowKind kind) => kind switch
    {
        BillingRowKind.Seat => "Purchase",
        BillingRowKind.Credit => "Credit",
        BillingRowKind.Adjustment => "Adjustment",
        _ => "Usage",
    };

    public static string Frequency(BillingRowKind kind) => kind switch
    {
        BillingRowKind.Usage => "Usage-Based",
        BillingRowKind.Seat => "Recurring",
        _ => "One-Time",
    };

    /// <summary>FOCUS Tags: a JSON object of the allocation (person, team, cost centre, FTE split) or the account billed.</summary>
    private static string? Tags(LedgerRow row, Allocated who)
    {
        var tags = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (who.PersonId is { } p) tags["person"] = p;
        if (who.TeamId is { } t) tags["team"] = t;
        if (who.CostCentreId is { } cc) tags["costCentre"] = cc;
        if (who.Split is { } split) tags["allocation"] = split;
        if (row.Account is { } account) tags["account"] = account;
        return tags.Count == 0 ? null : JsonSerializer.Serialize(tags);
    }

    /// <summary>The person a subject key names (<c>p:id</c>), else null.</summary>
    public static string? PersonOf(string? subjectKey) => SubjectKeys.PersonIdOf(subjectKey ?? "");

    public static string Money(decimal d) => (d / 1.000000000000000000000000000000000m).ToString(CultureInfo.InvariantCulture);

    private static DateTimeOffset Start(DateOnly day) => new(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    /// <summary>ISO 8601 in UTC, as FOCUS date/time columns require (<c>2026-11-01T00:00:00Z</c>).</summary>
    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
