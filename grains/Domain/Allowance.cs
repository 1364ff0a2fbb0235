using Flowstate.Usage;

namespace Flowstate.Domain;

/// <summary>
/// INCREMENTAL cost: the part of each session's cost not covered by the subject's monthly plan
/// allowance, consumed in session start order (ties broken by id, so the order is total).
/// </summary>
public static class Allowance
{
    public static IReadOnlyDictionary<string, decimal> Incremental(IEnumerable<SessionFact> monthSessions, decimal includedUsd)
    {
        var remaining = Math.Max(0m, includedUsd);
        var result = new Dictionary<string, decimal>();
        foreach (var s in monthSessions.OrderBy(s => s.StartedAt).ThenBy(s => s.SessionId, StringComparer.Ordinal))
        {
            var covered = Math.Min(remaining, Math.Max(0m, s.CostUsd));
            remaining -= covered;
            result[s.SessionId] = s.CostUsd - covered;
        }
        return result;
    }
}
