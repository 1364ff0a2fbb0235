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
    IngestLogStore log, SessionStore sessions, NpgsqlDataSource db, IGrainFactory grains, IngestSignal signal, FoldProgress progress,
    IHostApplicationLifetime lifetime, ILogger<IngestFold> logger) : BackgroundService
{
    /// <summary>Items per window: large enough that a partition is written once for many of its sessions.</summary>
    public const int WindowItems = 20_000;

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
                while (!stop.IsCancellationRequested && conn.FullState == System.Data.ConnectionState.Open)
                {
                    var window = await log.NextWindowAsync(position, WindowItems, stop);
                    if (window is null) { await signal.WaitAsync(IdlePoll, stop); continue; }
                    await FoldAsync(window, stop);
                    await log.SavePositionAsync(window.End, stop);
                    position = window.End;
                    progress.Advanced(position);
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

    /// <summary>Folds the sessions one window touches: the table first, then their partitions (which push on to rollups and periods).</summary>
    internal async Task FoldAsync(FoldWindow window, CancellationToken ct)
    {
        var items = await log.ItemsOfAsync(window.Sessions, ct);
        var folded = items.GroupBy(i => (i.Org, i.SessionId)).Select(g => SessionTotals.Fold(g.ToList())).OfType<FoldedSession>().ToList();
        var previous = (await sessions.UpsertFoldedAsync(folded, ct)).ToDictionary(p => (p.Org, p.Id));
        var plans = await PlansAsync(folded.Select(s => (s.Org, s.ProviderId)).Distinct().ToList());

        var work = new Dictionary<string, (List<SessionFact> Facts, List<string> Removed, ProviderPlan Plan, string Org)>();
        (List<SessionFact>, List<string>, ProviderPlan, string) Slot(string org, PartitionRef p) =>
            work.TryGetValue(p.Key(org), out var slot) ? slot
            : work[p.Key(org)] = ([], [], p.CountsTowardObserved ? plans.GetValueOrDefault((org, p.ProviderId)) ?? ProviderPlan.None : ProviderPlan.None, org);
        foreach (var s in folded)
        {
            previous.TryGetValue((s.Org, s.Id), out var before);
            var fact = s.ToFact() with { ProjectId = before?.ProjectSource == SessionRecord.Marked ? before.ProjectId : s.ProjectId };
            var now = PartitionRef.Of(s.ProviderId, s.SubjectKey, s.StartedAt, s.ApiKeyId).ToList();
            foreach (var p in now) Slot(s.Org, p).Item1.Add(fact);
            if (before is null) continue;
            foreach (var p in PartitionRef.Of(before.ProviderId, before.SubjectKey, before.StartedAt, before.ApiKeyId).Where(p => !now.Contains(p)))
                Slot(s.Org, p).Item2.Add(s.Id);
        }
        var results = await Bounded.ForEachAsync(work.ToList(), Parallelism, async w =>
            (w.Value.Org, Result: await grains.GetGrain<IUsagePartitionGrain>(w.Key).FoldAsync(new SessionFold(w.Value.Facts, w.Value.Removed, w.Value.Plan.IncludedUsageUsd, w.Value.Plan.SeatFeeUsd,
                DeliverLater: window.Items >= DeferDeliveryFrom))));
        var rows = results.SelectMany(r => r.Result.RowsToRematch.Select(id => (r.Org, id))).Distinct().ToList();
        await Bounded.ForEachAsync(rows, Parallelism, async row =>
        {
            await grains.GetGrain<IBillingRowGrain>(GrainKeys.Row(row.Org, row.id)).RematchAsync();
            return 0;
        });
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
