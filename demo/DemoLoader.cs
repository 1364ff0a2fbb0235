using Flowstate.Domain;
using Flowstate.Ingestion;
using Flowstate.Providers;
using Flowstate.Reconciliation;
using Flowstate.Workforce;
using Microsoft.Extensions.Logging;

namespace Flowstate.Demo;

/// <summary>
/// Loads the demo org into an empty org once, through the same grains the GraphQL mutations call.
/// The host calls it at start when FLOWSTATE_DEMO is on.
/// </summary>
public sealed class DemoLoader(IGrainFactory grains, ILogger<DemoLoader> logger)
{
    public async Task LoadAsync(string orgId, DateOnly today, CancellationToken ct)
    {
        var org = grains.GetGrain<IOrgGrain>(orgId);
        if ((await org.GetCountsAsync()).People > 0)
        {
            logger.LogInformation("Org {Org} already has data; demo data not loaded again", orgId);
            return;
        }
        var started = TimeProvider.System.GetTimestamp();
        var demo = DemoDataset.Generate(today);
        await org.UpsertWorkforceAsync(demo.Workforce);
        foreach (var p in demo.Providers)
            await grains.GetGrain<IProviderGrain>(GrainKeys.Join(orgId, p.Id)).ConfigureAsync(p);
        var ingestion = grains.GetGrain<IIngestionGrain>(orgId);
        foreach (var chunk in demo.Sessions.Chunk(2000))
        {
            ct.ThrowIfCancellationRequested();
            await UntilAnsweredAsync(() => ingestion.IngestSessionsAsync(chunk), ct);
        }
        // OpenAI, Anthropic, Cursor and Copilot bills come through their connectors from a local sandbox (Sandbox/DemoPulls.cs).
        foreach (var (providerId, rows) in await Sandbox.DemoPulls.ThroughSandboxAsync(grains, orgId, demo, logger, ct))
            foreach (var chunk in rows.Chunk(500))
                await UntilAnsweredAsync(() => ingestion.IngestBillingRowsAsync(providerId, chunk), ct);
        var worked = await WorkClosedMonthsAsync(orgId, today, ct);
        logger.LogInformation("Demo org {Org}: closed months worked through the real row actions: {Actions}", orgId, worked);
        logger.LogInformation("Demo org {Org} loaded: {People} people, {Sessions} sessions, {Rows} billing rows in {Seconds:0.0}s",
            orgId, demo.Workforce.People.Count, demo.Sessions.Count, demo.BillingPulls.Sum(p => p.Rows.Count),
            TimeProvider.System.GetElapsedTime(started).TotalSeconds);
    }

    public const string Controller = "demo:controller@acme.example";

    /// <summary>
    /// Works every month before this one as a controller closing it would, through the real row
    /// actions: suggestions and auto-matches confirmed (a few left for the inbox), rows of the provider
    /// without telemetry confirmed against its contract, idle and trial seats, credits and adjustments
    /// written off with notes; in the latest closed month one unexplained row is deferred and one
    /// confirmed row reopened; the other rows nothing explains (way off, or billed on a day without
    /// sessions) are written off with what the controller found. What stays is the residual the
    /// matcher's causes explain.
    /// </summary>
    private async Task<string> WorkClosedMonthsAsync(string orgId, DateOnly today, CancellationToken ct)
    {
        var counts = new Dictionary<string, int>();
        var current = Period.Of(today);
        var months = Enumerable.Range(1, 4).Select(i => Period.Of(today.AddMonths(-i))).Where(m => m < current).OrderBy(m => m).ToList();
        foreach (var month in months)
        {
            var rows = await OpenRowsAsync(orgId, month, ct);
            if (rows.Count == 0) continue;
            var latest = month == months[^1];
            var index = 0;
            var deferred = false;
            var work = new List<(BillingRowView Row, RowAction Action, string? Note)>();
            foreach (var row in rows.OrderBy(r => r.Id, StringComparer.Ordinal))
            {
                index++;
                var line = row.Line;
                if (row.Status is RowStatus.Suggested or RowStatus.AutoMatched)
                {
                    if (index % 25 != 0) work.Add((row, RowAction.Confirm, null));   // a few are left to look at
                }
                else if (row.AvailableActions.Contains(RowAction.Confirm))
                    work.Add((row, RowAction.Confirm, $"Per contract: {line.Description ?? line.Kind.ToString().ToLowerInvariant()} (the provider sends no telemetry)."));
                else if (row.ResidualCause == ResidualCause.IdleSeats)
                    work.Add((row, RowAction.WriteOff, "Seat unused all month (trial or never installed): reclaimed at renewal."));
                else if (line.Kind == BillingRowKind.Credit)
                    work.Add((row, RowAction.WriteOff, "Service credit applied on the invoice; no usage to match."));
                else if (line.Kind == BillingRowKind.Adjustment)
                    work.Add((row, RowAction.WriteOff, "Seat proration for seats added mid-cycle; agreed with the vendor."));
                else if (latest && !deferred)
                {
                    work.Add((row, RowAction.Defer, null));
                    deferred = true;
                }
                else if (row.ResidualCause == ResidualCause.Unexplained)
                    work.Add((row, RowAction.WriteOff, row.ObservedCostUsd == 0
                        ? "Billed on a day nobody's agent saw this subject (a job on a personal key): charged to the team's budget."
                        : $"Billed {Math.Abs(row.Delta) / Math.Max(0.01m, Math.Abs(line.TotalCostUsd)):P0} {(row.Delta > 0 ? "above" : "below")} the sessions, beyond what a price difference explains: disputed with the vendor."));
            }
            foreach (var chunk in work.Chunk(16))
                await Task.WhenAll(chunk.Select(w => ActAsync(orgId, w.Row, w.Action, w.Note, counts, ct)));
            if (latest && work.FirstOrDefault(w => w.Action == RowAction.Confirm && w.Row.Status == RowStatus.AutoMatched) is { Row: { } again })
                await ActAsync(orgId, (await Row(orgId, again.Id).GetAsync())!, RowAction.Reopen,
                    "Invoice line questioned by the team lead; matched again for review.", counts, ct);
        }
        return string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}"));
    }

    private IBillingRowGrain Row(string orgId, string rowId) => grains.GetGrain<IBillingRowGrain>(GrainKeys.Row(orgId, rowId));

    private async Task<List<BillingRowView>> OpenRowsAsync(string orgId, Period month, CancellationToken ct)
    {
        var period = grains.GetGrain<IPeriodGrain>(GrainKeys.Join(orgId, month.ToString()));
        var ids = new List<string>();
        string? after = null;
        do
        {
            ct.ThrowIfCancellationRequested();
            var page = await period.GetInboxAsync(new InboxQuery([RowStatus.Unreconciled, RowStatus.Suggested, RowStatus.AutoMatched], null, 200, after));
            ids.AddRange(page.Edges.Select(e => e.RowId));
            after = page.HasNextPage ? page.Edges[^1].Cursor : null;
        } while (after is not null);
        var views = new List<BillingRowView>();
        foreach (var chunk in ids.Chunk(64))
            views.AddRange((await Task.WhenAll(chunk.Select(id => Row(orgId, id).GetAsync()))).OfType<BillingRowView>());
        return views;
    }

    /// <summary>One action, version-checked against the row as read; a row that moved meanwhile (late evidence) is left as it is.</summary>
    private async Task ActAsync(string orgId, BillingRowView row, RowAction action, string? note, Dictionary<string, int> counts, CancellationToken ct)
    {
        try
        {
            await UntilAnsweredAsync(() => Row(orgId, row.Id).ApplyActionAsync(new RowCommand(action, note, row.Version, Controller)), ct);
            lock (counts) counts[Names.Of(action)] = counts.GetValueOrDefault(Names.Of(action)) + 1;
        }
        catch (FlowstateException e) when (e.Code == ErrorCodes.VersionConflict)
        {
            logger.LogInformation("Demo row {Row} changed before {Action}; left as it is", row.Id, Names.Of(action));
        }
    }

    /// <summary>
    /// Ingestion is idempotent, so a batch whose answer timed out (a busy machine can take longer than
    /// Orleans' 30 s response timeout for a batch) is simply sent again; so is a version-checked
    /// action (a retry of one that did land fails with VERSION_CONFLICT, which the caller expects).
    /// After ten attempts the load fails, loudly (the host stops).
    /// </summary>
    private async Task UntilAnsweredAsync<T>(Func<Task<T>> ingest, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try { await ingest(); return; }
            catch (TimeoutException) when (attempt < 10 && !ct.IsCancellationRequested)
            {
                logger.LogWarning("A demo batch timed out (attempt {Attempt}); sending it again", attempt);
            }
        }
    }
}
