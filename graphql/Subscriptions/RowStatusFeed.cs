using System.Text;
using System.Threading.Channels;
using Flowstate.Reconciliation;
using Orleans.Runtime;

namespace Flowstate.GraphQL.Subscriptions;

/// <summary>Settings of the subscription feeds.</summary>
public sealed class SubscriptionOptions
{
    /// <summary>How long a hole in the live seq order may stay open before it is filled from the log.</summary>
    public TimeSpan GapWait { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Changes read from the log per query while replaying.</summary>
    public int ReplayPage { get; set; } = 500;

    /// <summary>Live stream messages a feed may hold while it replays; beyond that it re-reads the log instead.</summary>
    public int LiveBuffer { get; set; } = 4096;
}

/// <summary>Counts of subscription feeds on this silo (see <c>/metrics/subscriptions</c>).</summary>
public sealed class SubscriptionMetrics
{
    private int _feeds, _live;

    /// <summary>Feeds (GraphQL subscriptions of either kind) running now.</summary>
    public int Feeds => Volatile.Read(ref _feeds);

    /// <summary>rowStatusChanged feeds past their replay, delivering live changes.</summary>
    public int LiveRowFeeds => Volatile.Read(ref _live);

    internal void FeedStarted() => Interlocked.Increment(ref _feeds);
    internal void FeedEnded() => Interlocked.Decrement(ref _feeds);
    internal void WentLive() => Interlocked.Increment(ref _live);
    internal void LeftLive() => Interlocked.Decrement(ref _live);
}

/// <summary>The opaque cursor of a row status change: its seq in the org's event log.</summary>
public static class RowCursor
{
    private const string Prefix = "row-event:";

    public static string Encode(long seq) => Convert.ToBase64String(Encoding.UTF8.GetBytes(Prefix + seq));

    public static long Decode(string cursor)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(cursor));
            if (text.StartsWith(Prefix, StringComparison.Ordinal) && long.TryParse(text.AsSpan(Prefix.Length), out var seq) && seq >= 0)
                return seq;
        }
        catch (FormatException) { }
        throw FlowstateException.InvalidInput($"'{cursor}' is not a cursor of rowStatusChanged; pass the cursor of an event you received.");
    }
}

/// <summary>A change as a GraphQL subscriber sees it: the logged change plus the org to load its row from.</summary>
public sealed record RowChange(string Org, RowStatusChanged Change);

/// <summary>
/// One <c>rowStatusChanged</c> subscription: every change of the org's log after a cursor, in seq
/// order, exactly once, filtered by period and provider. It first listens live (buffering), then
/// replays the log after the cursor (or starts at the log's end), then drains the live buffer
/// skipping what it already delivered. A hole in the live order (streams may lose or reorder
/// messages) that stays open for <see cref="SubscriptionOptions.GapWait"/> is filled from the log,
/// which is dense: when seq N is visible, everything before it is too.
/// </summary>
public sealed class RowStatusFeed(EventHub hub, IRowEventLog log, SubscriptionOptions options, SubscriptionMetrics metrics,
                                  string org, long? after, Period? period, string? provider) : IObservable<object?>
{
    public IDisposable Subscribe(IObserver<object?> observer)
    {
        var cts = new CancellationTokenSource();
        _ = RunAsync(observer, cts.Token);
        return new Cancel(cts);
    }

    private async Task RunAsync(IObserver<object?> observer, CancellationToken ct)
    {
        metrics.FeedStarted();
        var live = false;
        var overflowed = 0;
        var inbox = Channel.CreateBounded<RowStatusChanges>(
            new BoundedChannelOptions(options.LiveBuffer) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true },
            _ => Volatile.Write(ref overflowed, 1));
        try
        {
            using var listening = await hub.ListenAsync<RowStatusChanges>(
                StreamId.Create(EventStreams.RowStatus, EventStreams.RowStatusKey(org)), m => inbox.Writer.TryWrite(m), ct);
            var last = after ?? await log.LastSeqAsync(org, ct);
            last = await CatchUpAsync(observer, last, ct);
            metrics.WentLive();
            live = true;

            var pending = new SortedDictionary<long, RowStatusChanged>();
            while (true)
            {
                var gapTimedOut = false;
                if (pending.Count == 0)
                    await inbox.Reader.WaitToReadAsync(ct);
                else
                {
                    using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    wait.CancelAfter(options.GapWait);
                    try { await inbox.Reader.WaitToReadAsync(wait.Token); }
                    catch (OperationCanceledException) when (!ct.IsCancellationRequested) { gapTimedOut = true; }
                }
                while (inbox.Reader.TryRead(out var message))
                    foreach (var change in message.Changes)
                        if (change.Seq > last) pending.TryAdd(change.Seq, change);
                if (gapTimedOut || Interlocked.Exchange(ref overflowed, 0) == 1)
                {
                    last = await CatchUpAsync(observer, last, ct);
                    while (pending.Count > 0 && pending.First().Key <= last) pending.Remove(pending.First().Key);
                }
                while (pending.Remove(last + 1, out var next))
                {
                    Deliver(observer, next);
                    last = next.Seq;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        catch (Exception e) { observer.OnError(e); }
        finally
        {
            if (live) metrics.LeftLive();
            metrics.FeedEnded();
        }
    }

    /// <summary>Delivers everything the log holds after <paramref name="last"/>; returns the new last seq.</summary>
    private async Task<long> CatchUpAsync(IObserver<object?> observer, long last, CancellationToken ct)
    {
        while (true)
        {
            var page = await log.ReadAfterAsync(org, last, options.ReplayPage, ct);
            foreach (var change in page)
            {
                Deliver(observer, change);
                last = change.Seq;
            }
            if (page.Count < options.ReplayPage) return last;
        }
    }

    private void Deliver(IObserver<object?> observer, RowStatusChanged change)
    {
        if (period is { } p && change.Period != p) return;
        if (provider is not null && change.ProviderId != provider) return;
        observer.OnNext(new RowChange(org, change));
    }

    private sealed class Cancel(CancellationTokenSource cts) : IDisposable
    {
        private int _done;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) cts.Cancel();
        }
    }
}

/// <summary>
/// One <c>periodSummaryChanged</c> subscription: the period's summary as it is when the
/// subscription starts, then the new summary after every durable change of the period.
/// </summary>
public sealed class PeriodSummaryFeed(EventHub hub, IGrainFactory grains, SubscriptionMetrics metrics, string org, Period period)
    : IObservable<object?>
{
    public IDisposable Subscribe(IObserver<object?> observer)
    {
        var cts = new CancellationTokenSource();
        _ = RunAsync(observer, cts.Token);
        return new DisposeAction(cts.Cancel);
    }

    private async Task RunAsync(IObserver<object?> observer, CancellationToken ct)
    {
        metrics.FeedStarted();
        var inbox = Channel.CreateUnbounded<PeriodSummary>(new UnboundedChannelOptions { SingleReader = true });
        try
        {
            using var listening = await hub.ListenAsync<PeriodSummary>(
                StreamId.Create(EventStreams.PeriodSummary, EventStreams.PeriodSummaryKey(org, period)), s => inbox.Writer.TryWrite(s), ct);
            observer.OnNext(await grains.GetGrain<IPeriodGrain>(GrainKeys.Join(org, period.ToString())).GetSummaryAsync().WaitAsync(ct));
            while (await inbox.Reader.WaitToReadAsync(ct))
            {
                // Summaries are snapshots: when several queued up, only the newest is worth sending.
                PeriodSummary? newest = null;
                while (inbox.Reader.TryRead(out var s)) newest = s;
                if (newest is not null) observer.OnNext(newest);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        catch (Exception e) { observer.OnError(e); }
        finally { metrics.FeedEnded(); }
    }

    private sealed class DisposeAction(Action action) : IDisposable
    {
        private int _done;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) action();
        }
    }
}
