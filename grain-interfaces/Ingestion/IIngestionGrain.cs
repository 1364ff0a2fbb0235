namespace Flowstate.Ingestion;

/// <summary>
/// Stateless entry point for the two feeds of an org (key: the org): validates each item,
/// resolves subjects, prices sessions, and routes items to row and partition grains in
/// batches. Only acknowledges once every accepted item is durable.
/// </summary>
[Alias("Flowstate.IIngestionGrain")]
public interface IIngestionGrain : IGrainWithStringKey
{
    /// <summary>Throws NOT_FOUND for an unknown provider; otherwise rejects bad items one by one.</summary>
    [Alias("IngestBillingRows")] Task<IngestResult> IngestBillingRowsAsync(string providerId, IReadOnlyList<BillingRowRequest> rows);

    /// <summary>
    /// Validates and prices the sessions and appends them to the ingest log (first write wins: a re-send
    /// identical to the stored session is a duplicate, one that differs is rejected as CONFLICTING_RESEND).
    /// Acknowledged once durable in the log; with <see cref="IngestWait.Visible"/> it also waits (bounded)
    /// until the fold has made them visible in sessions and attribution, and says whether it did.
    /// Throws OVERLOADED when the silo sheds ingest load.
    /// </summary>
    [Alias("IngestSessions")] Task<IngestResult> IngestSessionsAsync(IReadOnlyList<SessionRequest> sessions, IngestWait wait = IngestWait.Visible);

    /// <summary>
    /// Appends mapped agent calls to the ingest log (durable when this returns; folded into sessions
    /// asynchronously). A call already stored is a duplicate; one that cannot be placed (unknown
    /// service.name, no subject, no price) is rejected, with its record index.
    /// </summary>
    [Alias("IngestTelemetry")] Task<IngestResult> IngestTelemetryAsync(TelemetryBatch batch);

    /// <summary>The ingest log not folded yet for one provider of this org (all of the org's providers when null): items and fold lag.</summary>
    [Alias("GetBacklog")] Task<IngestBacklog> GetBacklogAsync(string? providerId);
}

/// <summary>Items acknowledged and not folded yet, and the fold lag: how long the oldest of them has waited (zero when none).</summary>
[GenerateSerializer, Immutable, Alias("Flowstate.IngestBacklog")]
public sealed record IngestBacklog(
    [property: Id(0)] long UnfoldedItems,
    [property: Id(1)] double FoldLagSeconds,
    [property: Id(2)] DateTimeOffset? OldestUnfoldedAt);
