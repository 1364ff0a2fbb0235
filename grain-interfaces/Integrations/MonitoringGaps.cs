using Flowstate.Providers;
using Flowstate.Reconciliation;

namespace Flowstate.Integrations;

/// <summary>What monitoring misses (see <see cref="MonitoringGaps"/>).</summary>
public enum MonitoringGapKind { BilledWithoutTelemetry = 0, TelemetryWithoutConnector = 1, QuietSeat = 2, ConnectorFailing = 3 }

/// <summary>One gap: a provider (and for a quiet seat, the row and person), since when, and what to do.</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.MonitoringGap")]
public sealed record MonitoringGap(
    [property: Id(0)] MonitoringGapKind Kind,
    [property: Id(1)] string ProviderId,
    [property: Id(2)] string? RowId,
    [property: Id(3)] string? Subject,
    [property: Id(4)] DateTimeOffset? Since,
    [property: Id(5)] string Message);

/// <summary>
/// The gaps in an org's monitoring over the last N days: providers billed with no telemetry,
/// telemetry with no billing connector, seats billed this month with no session (quiet seats), and
/// connectors failing for more than a day.
/// </summary>
public static class MonitoringGaps
{
    public static readonly TimeSpan FailingFor = TimeSpan.FromDays(1);

    public static IReadOnlyList<MonitoringGap> Find(IReadOnlyList<(ProviderView Provider, IntegrationView Integration)> providers,
        IReadOnlyList<BillingRowView> seatRows, int days)
    {
        var gaps = new List<MonitoringGap>();
        foreach (var (p, i) in providers.OrderBy(x => x.Provider.Config.Id, StringComparer.Ordinal))
        {
            var id = p.Config.Id;
            var coverage = p.Coverage(days);
            if (coverage == CoverageState.BillingOnly)
                gaps.Add(new(MonitoringGapKind.BilledWithoutTelemetry, id, null, null, null,
                    $"{p.Config.Name} bills (last usage day {p.LatestBillingDay:yyyy-MM-dd}) but sent no telemetry in {days} days: send its agents' OpenTelemetry to /v1/logs with telemetryService set."));
            if (coverage is CoverageState.TelemetryOnly or CoverageState.BillingAndTelemetry && i.Settings is null)
                gaps.Add(new(MonitoringGapKind.TelemetryWithoutConnector, id, null, null, null,
                    $"{p.Config.Name} sends telemetry but has no billing connector: configure one (configureProvider connector) or import its FOCUS export."));
            if (i.FailingSince is { } since && p.AsOf - since > FailingFor)
                gaps.Add(new(MonitoringGapKind.ConnectorFailing, id, null, null, since,
                    $"{p.Config.Name}'s connector has failed since {since:yyyy-MM-dd HH:mm}Z: {i.LastError}"));
        }
        foreach (var row in seatRows.Where(r => r.Line.Kind == BillingRowKind.Seat && r.Status == RowStatus.Unreconciled && (r.Confidence ?? 0) == 0)
                     .OrderBy(r => r.Line.ProviderId, StringComparer.Ordinal).ThenBy(r => r.Id, StringComparer.Ordinal))
            gaps.Add(new(MonitoringGapKind.QuietSeat, row.Line.ProviderId, row.Id, row.Line.SubjectKey, null,
                $"Seat {row.Line.ExternalId} is billed for {row.Period} with no session observed: a trial or idle seat to reclaim, or an agent without telemetry."));
        return gaps;
    }
}
