using System.Globalization;
using Flowstate.Connectors.Http;

namespace Flowstate.Connectors.Providers;

/// <summary>URLs, UTC days and money shared by the connectors.</summary>
internal static class PullMath
{
    /// <summary>The base URL (which may carry a path prefix, e.g. a proxy) joined with a path and query.</summary>
    public static Uri Url(Uri baseUrl, string path, params (string Name, string? Value)[] query)
    {
        var q = string.Join("&", query.Where(p => p.Value is not null).Select(p => $"{Uri.EscapeDataString(p.Name)}={Uri.EscapeDataString(p.Value!)}"));
        return new Uri(baseUrl.GetLeftPart(UriPartial.Path).TrimEnd('/') + path + (q.Length > 0 ? "?" + q : ""));
    }

    public static DateTimeOffset Start(DateOnly day) => new(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    public static DateOnly Day(DateTimeOffset t) => DateOnly.FromDateTime(t.UtcDateTime);

    public static string Iso(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static string Unix(DateOnly day) => Start(day).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

    /// <summary>An amount in USD: USD as is, another currency at the request's rate, else the run fails naming the field.</summary>
    public static decimal Usd(decimal amount, string currency, PullRequest request, JsonNode field)
    {
        if (currency.Equals("USD", StringComparison.OrdinalIgnoreCase)) return amount;
        if (request.UsdRates?.FirstOrDefault(r => r.Key.Equals(currency, StringComparison.OrdinalIgnoreCase)) is { Key: not null } rate) return amount * rate.Value;
        throw field.Page.Error(field.Path, $"currency {currency} is not USD and no rate to USD is configured");
    }

    /// <summary>The first days of the months that [from, to] touches.</summary>
    public static IEnumerable<DateOnly> Months(DateOnly from, DateOnly to)
    {
        for (var m = new DateOnly(from.Year, from.Month, 1); m <= to; m = m.AddMonths(1)) yield return m;
    }
}

/// <summary>
/// Exact per-key, per-day sums of a pull's items: each (day, key) becomes one row whose amount is
/// the sum of its items, with no rounding. Days outside the pulled range are dropped.
/// </summary>
internal sealed class RowTotals(string prefix, PulledKind kind, DateOnly from, DateOnly to)
{
    private sealed class Total
    {
        public required string? Subject;
        public required string? Account;
        public decimal Amount;
        public decimal? List;
        public int Items;
        public readonly SortedSet<string> Labels = new(StringComparer.Ordinal);
    }

    private readonly Dictionary<(DateOnly Day, string Key), Total> _totals = [];

    public void Add(DateOnly day, string key, string? subject, string? account, decimal amount, string? label, decimal? list = null)
    {
        if (day < from || day > to) return;
        if (!_totals.TryGetValue((day, key), out var t)) _totals[(day, key)] = t = new Total { Subject = subject, Account = account };
        t.Amount += amount;
        if (list is { } l) t.List = (t.List ?? 0m) + l;
        t.Items++;
        if (label is not null && t.Labels.Count < 20) t.Labels.Add(label);
    }

    public IEnumerable<PulledRow> Rows(string what) => _totals
        .OrderBy(e => e.Key.Day).ThenBy(e => e.Key.Key, StringComparer.Ordinal)
        .Select(e => new PulledRow(
            $"{prefix}:{e.Key.Key.ToLowerInvariant()}:{PullMath.Iso(e.Key.Day)}",
            e.Value.Subject, e.Value.Account, e.Key.Day, e.Value.Amount, e.Value.List, kind,
            $"{what}: {e.Value.Items} item{(e.Value.Items == 1 ? "" : "s")}{(e.Value.Labels.Count > 0 ? " (" + string.Join("; ", e.Value.Labels) + ")" : "")}"));
}
