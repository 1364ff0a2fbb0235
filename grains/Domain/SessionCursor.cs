using System.Globalization;
using System.Text;
using System.Text.Json;
using Flowstate.Attribution;

namespace Flowstate.Domain;

/// <summary>
/// Where a session sits in one order of the sessions table: its sort value, then its id (the
/// tie-breaker). The MODEL order breaks ties by start time before the id (<c>StartedAt</c>), so
/// that each model's sessions in a window are one index range.
/// </summary>
public sealed record SessionKeyset(object Value, string Id, DateTimeOffset? StartedAt = null);

/// <summary>
/// Opaque cursors of the sessions table. A cursor names the order it was taken in (field and
/// direction), the sort value and the id of the last session seen, so the next page is a keyset
/// range — it neither skips nor repeats sessions while new ones arrive, and costs what the first
/// page does. Wire form: base64url of a JSON array <c>["s1", field, direction, value, id]</c>, with
/// the start time (UTC ticks) appended for the MODEL order.
/// </summary>
public static class SessionCursor
{
    private const string Version = "s1";

    public static string Encode(SessionOrder order, SessionKeyset key)
    {
        string[] parts = [Version, order.Field.ToString(), order.Direction.ToString(), Format(order.Field, key.Value), key.Id];
        if (order.Field == SessionSortField.Model) parts = [.. parts, Format(SessionSortField.StartedAt, key.StartedAt!.Value)];
        var json = JsonSerializer.Serialize(parts);
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>The keyset of a cursor; INVALID_INPUT when it is not one of ours or was taken in another order.</summary>
    public static SessionKeyset Decode(string cursor, SessionOrder order)
    {
        string[]? parts;
        try
        {
            var b64 = cursor.Replace('-', '+').Replace('_', '/');
            b64 = b64.PadRight(b64.Length + (4 - b64.Length % 4) % 4, '=');
            parts = JsonSerializer.Deserialize<string[]>(Encoding.UTF8.GetString(Convert.FromBase64String(b64)));
        }
        catch (Exception e) when (e is FormatException or JsonException or ArgumentException)
        {
            parts = null;
        }
        var invalid = FlowstateException.InvalidInput("after: not a cursor of the sessions list.");
        if (parts is not [Version, var field, var direction, var value, var id, .. var rest] || id is null || value is null
            || !Enum.TryParse<SessionSortField>(field, out var f) || !Enum.TryParse<SortDirection>(direction, out var d)
            || rest.Length != (f == SessionSortField.Model ? 1 : 0))
            throw invalid;
        if (f != order.Field || d != order.Direction)
            throw FlowstateException.InvalidInput(
                $"after: the cursor belongs to the order {Name(f, d)}, not {Name(order.Field, order.Direction)}; start again from the first page.");
        var startedAt = f == SessionSortField.Model ? (DateTimeOffset?)(Parse(SessionSortField.StartedAt, rest[0] ?? "") ?? throw invalid) : null;
        return new SessionKeyset(Parse(f, value) ?? throw invalid, id, startedAt);
    }

    private static string Format(SessionSortField field, object value) => field switch
    {
        SessionSortField.StartedAt => ((DateTimeOffset)value).UtcTicks.ToString(CultureInfo.InvariantCulture),
        SessionSortField.Cost => ((decimal)value).ToString(CultureInfo.InvariantCulture),
        SessionSortField.Tokens => ((long)value).ToString(CultureInfo.InvariantCulture),
        _ => (string)value,
    };

    private static object? Parse(SessionSortField field, string text) => field switch
    {
        SessionSortField.StartedAt => long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            && ticks >= DateTimeOffset.MinValue.UtcTicks && ticks <= DateTimeOffset.MaxValue.UtcTicks ? new DateTimeOffset(ticks, TimeSpan.Zero) : null,
        SessionSortField.Cost => decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var cost) ? cost : null,
        SessionSortField.Tokens => long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var tokens) ? tokens : null,
        _ => text,
    };

    private static string Name(SessionSortField field, SortDirection direction) => $"{field} {direction}".ToUpperInvariant();
}
