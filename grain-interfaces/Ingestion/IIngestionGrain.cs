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

    [Alias("IngestSessions")] Task<IngestResult> IngestSessionsAsync(IReadOnlyList<SessionRequest> sessions);

    /// <summary>
    /// Appends mapped agent calls to the ingest log (durable when this returns; folded into sessions
    /// asynchronously). A call already stored is a duplicate; one that cannot be placed (unknown
    /// service.name, no subject, no price) is rejected, with its record index.
    /// </summary>
    [Alias("IngestTelemetry")] Task<IngestResult> IngestTelemetryAsync(TelemetryBatch batch);
}
