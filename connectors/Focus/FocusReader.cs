using System.Globalization;
using System.Text.Json;
using nietras.SeparatedValues;

namespace Flowstate.Connectors.Focus;

/// <summary>A FOCUS file that cannot be imported: names the line and the column.</summary>
public sealed class FocusFormatException(int line, string? column, string problem)
    : Exception($"FOCUS line {line}{(column is null ? "" : $" column {column}")}: {problem}")
{
    public int Line { get; } = line;
    public string? Column { get; } = column;
}

/// <summary>
/// Reads a FinOps FOCUS 1.0–1.2 cost and usage export (CSV, through Sep) into billing rows: one
/// per charge day × account (SubAccountId, else an account tag) × kind, whose amount is the exact
/// sum of the lines' <c>BilledCost</c>. <c>ChargeCategory</c> gives the kind (Usage → USAGE,
/// Purchase → SEAT, Credit → CREDIT, Tax and Adjustment → ADJUSTMENT; a negative Usage or Purchase
/// line is a refund, so an ADJUSTMENT). Tolerates what real
/// exports do: a UTF-8 BOM, the literal <c>NULL</c>, datetimes without a zone (UTC), <c>M/D/YY</c>
/// dates, and amounts written as <c>"$10,000.00 "</c>. Any line that cannot be read fails the
/// whole file, so nothing is half-imported.
/// </summary>
public static class FocusReader
{
    /// <summary>FOCUS columns the import needs, with the names other versions give them.</summary>
    private static readonly (string Name, string[] Aliases)[] Required =
    [
        ("BilledCost", []),
        ("ChargePeriodStart", []),
        ("ChargeCategory", ["ChargeType"]),   // ChargeType is the 0.5 preview's name
        ("BillingCurrency", []),
    ];

    private static readonly string[] DateFormats =
    [
        "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd HH:mm:ssK",
        "yyyy-MM-dd'T'HH:mmK", "yyyy-MM-dd", "M/d/yy", "M/d/yyyy", "M/d/yy H:mm", "M/d/yyyy H:mm", "M/d/yyyy H:mm:ss",
    ];

    public static IReadOnlyList<PulledRow> Read(string csv, IReadOnlyDictionary<string, decimal>? usdRates = null)
    {
        var text = csv.TrimStart('\uFEFF');
        if (string.IsNullOrWhiteSpace(text)) throw new FocusFormatException(1, null, "the file is empty; send the header line and the charges");
        using var reader = Sep.Reader(o => o with { Sep = new Sep(','), Unescape = true, Trim = SepTrim.Outer }).FromText(text);
        var header = reader.Header;
        int Col(string name, string[] aliases)
        {
            foreach (var n in aliases.Prepend(name))
                if (header.TryIndexOf(n, out var i)) return i;
            return -1;
        }
        foreach (var (name, aliases) in Required)
            if (Col(name, aliases) < 0) throw new FocusFormatException(1, name, "required FOCUS column missing from the header");
        int billed = Col("BilledCost", []), start = Col("ChargePeriodStart", []), category = Col("ChargeCategory", ["ChargeType"]), currency = Col("BillingCurrency", []);
        int list = Col("ListCost", []), sub = Col("SubAccountId", []), tags = Col("Tags", []), description = Col("ChargeDescription", []);
        int provider = Col("ServiceProviderName", ["ProviderName", "PublisherName"]), service = Col("ServiceName", []);

        var totals = new Dictionary<(DateOnly Day, string Key, PulledKind Kind), (string? Subject, string? Account, decimal Amount, decimal? List, int Lines, SortedSet<string> Labels)>();
        var line = 1;
        foreach (var row in reader)
        {
            line++;
            var amount = Money(At(row, billed), line, "BilledCost") ?? throw new FocusFormatException(line, "BilledCost", "required, got NULL");
            var cur = At(row, currency) ?? throw new FocusFormatException(line, "BillingCurrency", "required, got NULL");
            var rate = Rate(cur, usdRates, line);
            var day = Day(At(row, start), line, "ChargePeriodStart");
            var kind = Kind(At(row, category), line);
            // A negative usage or purchase line (a provider's refund inside Usage, as Azure writes them) is a correction, not usage.
            if (amount < 0 && kind is PulledKind.Usage or PulledKind.Seat) kind = PulledKind.Adjustment;
            var (tagAccount, tagSubject) = FromTags(At(row, tags), line);
            var account = At(row, sub) ?? tagAccount;
            var key = account ?? tagSubject ?? "unassigned";
            var listCost = Money(At(row, list), line, "ListCost");
            var label = string.Join(" ", new[] { At(row, provider), At(row, service), At(row, description) }.OfType<string>());
            var k = (day, key.ToLowerInvariant(), kind);
            if (!totals.TryGetValue(k, out var t)) t = (tagSubject, account, 0m, null, 0, new SortedSet<string>(StringComparer.Ordinal));
            if (label.Length > 0 && t.Labels.Count < 5) t.Labels.Add(label.Length > 80 ? label[..80] : label);
            totals[k] = (t.Subject, t.Account, t.Amount + amount * rate, listCost is { } l ? (t.List ?? 0m) + l * rate : t.List, t.Lines + 1, t.Labels);
        }
        return totals.OrderBy(e => e.Key.Day).ThenBy(e => e.Key.Key, StringComparer.Ordinal).ThenBy(e => e.Key.Kind)
            .Select(e => new PulledRow(
                $"focus:{e.Key.Kind.ToString().ToLowerInvariant()}:{Short(e.Key.Key)}:{e.Key.Day:yyyy-MM-dd}",
                e.Value.Subject, e.Value.Account, e.Key.Day, e.Value.Amount, e.Value.List is >= 0 && e.Key.Kind is PulledKind.Usage or PulledKind.Seat ? e.Value.List : null, e.Key.Kind,
                $"FOCUS: {e.Value.Lines} charge{(e.Value.Lines == 1 ? "" : "s")} ({string.Join("; ", e.Value.Labels)})"))
            .ToList();
    }

    /// <summary>Keys longer than fit in a row id keep their start and a hash of the whole.</summary>
    private static string Short(string key) => key.Length <= 120 ? key
        : key[..100] + "~" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)))[..16];

    private static string? At(SepReader.Row row, int column) => column < 0 ? null : Clean(row[column].ToString());

    private static string? Clean(string value)
    {
        var v = value.Trim();
        return v.Length == 0 || v.Equals("NULL", StringComparison.OrdinalIgnoreCase) ? null : v;
    }

    /// <summary>A decimal as FOCUS exports write it: plain, with an exponent, or as "$10,000.00" (a currency sign and thousands commas).</summary>
    private static decimal? Money(string? cell, int line, string column)
    {
        if (cell is null) return null;
        var v = cell.Replace("$", "", StringComparison.Ordinal).Replace(",", "", StringComparison.Ordinal).Trim();
        var negative = v.StartsWith('(') && v.EndsWith(')');
        if (negative) v = v[1..^1];
        if (!decimal.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
            throw new FocusFormatException(line, column, $"expected a number, got \"{(cell.Length > 40 ? cell[..40] : cell)}\"");
        return negative ? -d : d;
    }

    private static decimal Rate(string currency, IReadOnlyDictionary<string, decimal>? rates, int line)
    {
        if (currency.Equals("USD", StringComparison.OrdinalIgnoreCase)) return 1m;
        foreach (var (code, rate) in rates ?? new Dictionary<string, decimal>())
            if (code.Equals(currency, StringComparison.OrdinalIgnoreCase)) return rate;
        throw new FocusFormatException(line, "BillingCurrency", $"currency {currency} is not USD and no rate to USD is configured");
    }

    /// <summary>The UTC day a charge starts on; a datetime without a zone is UTC.</summary>
    private static DateOnly Day(string? cell, int line, string column)
    {
        if (cell is not null && DateTimeOffset.TryParseExact(cell, DateFormats, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
            return DateOnly.FromDateTime(t.UtcDateTime);
        throw new FocusFormatException(line, column, $"expected a date or datetime (e.g. 2024-09-18 22:00:00, 2024-09-18T22:00:00Z or 9/18/24), got {(cell is null ? "NULL" : $"\"{cell}\"")}");
    }

    private static PulledKind Kind(string? cell, int line) => cell?.ToLowerInvariant() switch
    {
        "usage" => PulledKind.Usage,
        "purchase" => PulledKind.Seat,
        "credit" => PulledKind.Credit,
        "tax" or "adjustment" => PulledKind.Adjustment,
        _ => throw new FocusFormatException(line, "ChargeCategory", $"expected Usage, Purchase, Tax, Credit or Adjustment, got {(cell is null ? "NULL" : $"\"{cell}\"")}"),
    };

    /// <summary>An account and a person from the Tags JSON object: keys ending in account/project, and user/email/owner.</summary>
    private static (string? Account, string? Subject) FromTags(string? cell, int line)
    {
        if (cell is null) return (null, null);
        try
        {
            using var doc = JsonDocument.Parse(cell);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new FocusFormatException(line, "Tags", "expected a JSON object of key-value tags");
            string? account = null, subject = null;
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String) continue;
                var name = p.Name.ToLowerInvariant();
                var bare = name[(name.LastIndexOfAny([':', '/', '.']) + 1)..];
                if (account is null && (bare.EndsWith("account", StringComparison.Ordinal) || bare.EndsWith("project", StringComparison.Ordinal))) account = p.Value.GetString();
                if (subject is null && bare is "user" or "email" or "owner" or "user_email" or "useremail") subject = p.Value.GetString();
            }
            return (account, subject);
        }
        catch (JsonException) { throw new FocusFormatException(line, "Tags", "expected a JSON object of key-value tags"); }
    }
}
