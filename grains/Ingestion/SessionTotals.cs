using Flowstate.Storage;
using Flowstate.Usage;

namespace Flowstate.Ingestion;

/// <summary>A session as its ingest-log items add up: what the sessions table and its usage partition hold.</summary>
public sealed record FoldedSession(
    string Org, string Id, string ProviderId, string SubjectKey, string? PersonId, string Model,
    DateTimeOffset StartedAt, DateTimeOffset? EndedAt, long InputTokens, long OutputTokens, long CachedInputTokens, int? Turns,
    decimal CostUsd, decimal MarketCostUsd, string? ApiKeyId, string? ProjectId, string? ProjectSource, string? ContextKey,
    SessionContext? Context, double? Frustration)
{
    public SessionFact ToFact() => new(Id, StartedAt, CostUsd, MarketCostUsd, Model, ProjectId, InputTokens + OutputTokens + CachedInputTokens, Frustration);
}

/// <summary>
/// Sums a session's items (DESIGN §9): the session is the sum of its calls. Metric points describe the
/// same calls as the events, so they count only for a session with no call events (cumulative points:
/// the latest of each series). Prompts and tool results add turns, not money. Who, which provider, the
/// project and the context are those of the earliest call; the model is the one the session spent most
/// on. A session with no call yet (only turns) is not a session yet.
/// </summary>
public static class SessionTotals
{
    public static FoldedSession? Fold(IReadOnlyList<IngestItem> items)
    {
        var calls = items.Where(i => i.Kind is CallKind.Session or CallKind.Call).ToList();
        if (calls.Count == 0)
            calls = items.Where(i => i.Kind == CallKind.MetricDelta)
                .Concat(items.Where(i => i.Kind == CallKind.MetricCumulative).GroupBy(i => i.Series).Select(g => g.MaxBy(i => i.StartedAt)!))
                .ToList();
        if (calls.Count == 0) return null;

        var first = calls.OrderBy(i => i.StartedAt).ThenBy(i => i.ItemId, StringComparer.Ordinal).First();
        var model = calls.Where(i => i.Model is not null).GroupBy(i => i.Model!)
            .OrderByDescending(g => g.Sum(i => i.CostUsd)).ThenByDescending(g => g.Sum(i => i.InputTokens + i.OutputTokens + i.CachedInputTokens))
            .ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => g.Key).FirstOrDefault() ?? "";
        var turnEvents = items.Count(i => i.Kind == CallKind.Turn);
        var sentTurns = calls.Where(i => i.Kind == CallKind.Session && i.Turns is not null).Select(i => i.Turns!.Value).ToList();
        var timed = items.Where(i => i.Kind != CallKind.Session).ToList();
        var started = items.Min(i => i.StartedAt);
        DateTimeOffset? ended = calls.Count == 1 && first.Kind == CallKind.Session ? first.EndedAt
            : items.Max(i => i.EndedAt ?? i.StartedAt);
        return new FoldedSession(first.Org, first.SessionId, first.ProviderId, first.SubjectKey, first.PersonId, model,
            started, ended, calls.Sum(i => i.InputTokens), calls.Sum(i => i.OutputTokens), calls.Sum(i => i.CachedInputTokens),
            sentTurns.Count > 0 || turnEvents > 0 ? sentTurns.Sum() + turnEvents : (timed.Count > 0 ? 0 : null),
            calls.Sum(i => i.CostUsd), calls.Sum(i => i.MarketCostUsd), first.ApiKeyId, first.ProjectId, first.ProjectSource,
            first.ContextKey, first.Context, first.Frustration);
    }
}
