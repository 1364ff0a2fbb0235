using System.Diagnostics;
using Flowstate.Providers;
using Flowstate.Reconciliation;
using Flowstate.Storage;
using Flowstate.Usage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Flowstate.Ingestion;

/// <summary>
/// Folds the ingest log into the sessions table and the usage partitions, in large batches and off
/// the acknowledgement path. One silo folds at a time (it holds a PostgreSQL advisory lock; when it
/// dies its connection drops and another silo takes over). Each window of items is folded by
/// re-summing every touched session from all its items (<see cref="SessionTotals"/>), so folding a
/// window twice, after a crash, writes the same sums: the position is saved only once the window's
/// partitions have stored their sessions, and folding resumes from it.
/// </summary>
public sealed class IngestFold(
    IngestLogStore log, SessionStore sessions, NpgsqlDataSource db, IGrainFactory grains, IngestSignal signal, FoldProgress progress, IngestOptions options,
    FlowstateMetrics metrics, IHostApplicationLifetime lifetime, ILogger<IngestFold> logger) : BackgroundService
{
    /// <summary>
    /// Items per window at most: large enough that a partition is written once for many of its sessions. A window is
    /// what arrived while the previous one was folded, so it grows with the load up to this (a partition write costs
    /// about the same for 40 sessions as for 100: the larger the backlog, the cheaper each session).
    /// </summary>
    public const int WindowItems = 50_000;

    private const int Parallelism = 64;

    /// <summary>
    /// Windows of at least this many items (bulk load) answer once the partitions are stored and let them push on to
    /// subject-months, periods and rollups right after, overlapping the next window (see CommitDeferredAsync); smaller
    /// windows (interactive use) wait for the whole chain, so what a caller waited for is in attribution too.
    /// </summary>
    public const int DeferDeliveryFrom = 2_000;
    private const long LockKey = 0x466C6F77466F6C64; // "FlowFold"
    private static readonly TimeSpan IdlePoll = TimeSpan.FromMilliseconds(100);

    /// <summary>True while this silo is the folder.</summary>
    public bool Folding { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stop)
    {
        // Grain calls need the silo running.
        var started = new TaskCompletionSource();
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        using (stop.Register(() => started.TrySetCanceled()))
            try { await started.Task; } catch (OperationCanceledException) { return; }

        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var conn = await db.OpenConnectionAsync(stop);
                if (!await TryLockAsync(conn, stop)) { await Task.Delay(TimeSpan.FromSeconds(1), stop); continue; }
                Folding = true;
                var position = await log.PositionAsync(stop);
                // Two stages in a pipeline: window N+1 is read and written to the sessions table while window N's
                // partitions take their sessions. The sessions-table stage runs in window order (each window sees the rows
                // the previous one left, so a session that moved partition is found), and so does the partition stage;
                // the position moves only once a window's partitions are stored, so a crash re-folds from there.
                var read = position;
                Task? applying = null, preparing = null;
                FoldWindow? applyingWindow = null;
                try
                {
                    while (!stop.IsCancellationRequested && conn.FullState == System.Data.ConnectionState.Open)
                    {
                        var window = await log.NextWindowAsync(read, options.FoldWindowItems, stop);
                        if (window is null && applying is null) { await signal.WaitAsync(IdlePoll, stop); continue; }
                        var next = window is null ? null : PrepareAsync(window, stop);
                        preparing = next;
                        if (applying is not null)
                        {
                            // Saved as soon as its partitions have it, while the next window is still being prepared.
                            await applying;
                            await IngestLogStore.SavePositionAsync(conn, applyingWindow!.End, stop);
                            progress.Advanced(applyingWindow.End);
                            (applying, applyingWindow) = (null, null);
                        }
                        if (next is null) continue;
                        var prepared = await next;
                        preparing = null;
                        applying = ApplyAsync(prepared);
                        (applyingWindow, read) = (window, window!.End);
                    }
                }
                finally
                {
                    // Never leave a stage running behind a restart: the next attempt re-folds from the saved position, in order.
                    foreach (var stage in new[] { preparing, applying }.OfType<Task>())
                        try { await stage; } catch (Exception) { }
                    // A pooled connection keeps its session's lock until it is next used: give it up now, so that this
                    // silo's next attempt (on whichever connection) or another silo takes over at once.
                    if (conn.FullState == System.Data.ConnectionState.Open)
                        try { await UnlockAsync(conn); } catch (Exception) { }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
            catch (Exception e)
            {
                logger.LogWarning(e, "Folding the ingest log failed; retrying from the last saved position");
                try { await Task.Delay(TimeSpan.FromSeconds(1), stop); } catch (OperationCanceledException) { }
            }
            finally { Folding = false; }
        }
    }

    private static async Task<bool> TryLockAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"select pg_try_advisory_lock({LockKey})", conn);
        return (bool)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private static async Task UnlockAsync(NpgsqlConnection conn)
    {
        await using var cmd = new NpgsqlCommand($"select pg_advisory_unlock({LockKey})", conn);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>A window with its sessions written to the table: what each of its partitions is to take.</summary>
    private sealed record PreparedWindow(FoldWindow Window, List<KeyValuePair<string, PartitionWork>> Partitions);

    private sealed record PartitionWork(string Org, ProviderPlan Plan, List<SessionFact> Facts, List<string> Removed);

    /// <summary>The first stage: the window's items summed per session, written to the sessions table, and sorted out by partition.</summary>
    private async Task<PreparedWindow> PrepareAsync(FoldWindow window, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var items = await log.ItemsOfAsync(window.Sessions, ct);
        metrics.FoldStage("read", Stopwatch.GetElapsedTime(started));
        var bySession = items.GroupBy(i => (i.Org, i.SessionId)).ToList();
        // Every session the window names has items (the window read them): fewer means this read missed committed
        // items, and folding on would move the position past them. Refused, so the fold retries from the saved position.
        if (bySession.Count < window.Sessions.Count)
        {
            var (org, missing) = window.Sessions.Except(bySession.Select(g => g.Key)).First();
            throw new InvalidOperationException($"The fold read no items for session '{missing}' of org '{org}', which its window holds; not folding it past them.");
        }
        var folded = bySession.Select(g => SessionTotals.Fold(g.ToList())).OfType<FoldedSession>().ToList();
        started = Stopwatch.GetTimestamp();
        var previous = (await sessions.UpsertFoldedAsync(folded, ct)).ToDictionary(p => (p.Org, p.Id));
        metrics.FoldStage("sessions", Stopwatch.GetElapsedTime(started));
        var plans = await PlansAsync(folded.Select(s => (s.Org, s.ProviderId)).Distinct().ToList());

        var work = new Dictionary<string, PartitionWork>();
        PartitionWork Slot(string org, PartitionRef p) =>
            work.TryGetValue(p.Key(org), out var slot) ? slot
            : work[p.Key(org)] = new(org, p.CountsTowardObserved ? plans.GetValueOrDefault((org, p.ProviderId)) ?? ProviderPlan.None : ProviderPlan.None, [], []);
        foreach (var s in folded)
        {
            previous.TryGetValue((s.Org, s.Id), out var before);
            var fact = s.ToFact() with { ProjectId = before?.ProjectSource == SessionRecord.Marked ? before.ProjectId : s.ProjectId };
            var now = PartitionRef.Of(s.ProviderId, s.SubjectKey, s.StartedAt, s.ApiKeyId).ToList();
            foreach (var p in now) Slot(s.Org, p).Facts.Add(fact);
            if (before is null) continue;
            foreach (var p in PartitionRef.Of(before.ProviderId, before.SubjectKey, before.StartedAt, before.ApiKeyId).Where(p => !now.Contains(p)))
                Slot(s.Org, p).Removed.Add(s.Id);
        }
        return new PreparedWindow(window, work.ToList());
    }

    /// <summary>The second stage: each partition takes its sessions, and the rows near them match again.</summary>
    private async Task ApplyAsync(PreparedWindow prepared)
    {
        var (window, work) = (prepared.Window, prepared.Partitions);
        var started = Stopwatch.GetTimestamp();
        var results = await Bounded.ForEachAsync(work, Parallelism, async w =>
            (w.Value.Org, Result: await grains.GetGrain<IUsagePartitionGrain>(w.Key).FoldAsync(new SessionFold(w.Value.Facts, w.Value.Removed, w.Value.Plan.IncludedUsageUsd, w.Value.Plan.SeatFeeUsd,
                DeliverLater: window.Items >= DeferDeliveryFrom))));
        metrics.FoldStage("partitions", Stopwatch.GetElapsedTime(started));
        started = Stopwatch.GetTimestamp();
        var rows = results.SelectMany(r => r.Result.RowsToRematch.Select(id => (r.Org, id))).Distinct().ToList();
        await Bounded.ForEachAsync(rows, Parallelism, async row =>
        {
            await grains.GetGrain<IBillingRowGrain>(GrainKeys.Row(row.Org, row.id)).RematchAsync();
            return 0;
        });
        metrics.FoldStage("rematch", Stopwatch.GetElapsedTime(started));
    }

    /// <summary>Each provider's plan (seat fee and included usage per seat per month), for the partitions' seat-months.</summary>
    private async Task<Dictionary<(string Org, string ProviderId), ProviderPlan?>> PlansAsync(IReadOnlyList<(string Org, string ProviderId)> providers)
    {
        var views = await Bounded.ForEachAsync(providers, Parallelism, p => grains.GetGrain<IProviderGrain>(GrainKeys.Join(p.Org, p.ProviderId)).GetAsync());
        return providers.Zip(views).ToDictionary(x => x.First, x => x.Second?.Config.Plan);
    }

    /// <summary>A partition a session belongs to: its subject's (counts toward observed), and its API key's when it carried one (evidence only).</summary>
    private readonly record struct PartitionRef(string ProviderId, string SubjectKey, Period Month, bool CountsTowardObserved)
    {
        public string Key(string org) => PartitionKeys.Of(org, ProviderId, SubjectKey, Month);

        public static IEnumerable<PartitionRef> Of(string providerId, string subjectKey, DateTimeOffset startedAt, string? apiKeyId)
        {
            var month = Period.Of(startedAt);
            yield return new PartitionRef(providerId, subjectKey, month, true);
            if (!string.IsNullOrWhiteSpace(apiKeyId)) yield return new PartitionRef(providerId, SubjectKeys.Account(apiKeyId), month, false);
        }
    }
}

/// <summary>Wakes the fold on this silo when items were appended here (other silos' appends are found by polling).</summary>
public sealed class IngestSignal
{
    private readonly SemaphoreSlim _appended = new(0, 1);

    public void Appended()
    {
        if (_appended.CurrentCount == 0) try { _appended.Release(); } catch (SemaphoreFullException) { }
    }

    public async Task WaitAsync(TimeSpan timeout, CancellationToken ct) => await _appended.WaitAsync(timeout, ct);
}
