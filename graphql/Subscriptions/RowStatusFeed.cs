using System.Threading.Channels;
using System.Text;
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

    /// <summary>Live changes a feed may hold (while it replays, or behind a hole); beyond that it drops them and re-reads the log.</summary>
    public int MaxHeld { get; set; } = 10_000;

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
/// order, exactly once, filtered by period and provider. It first listens live (holding what
/// arrives), then replays the log after the cursor (or starts at the log's end), then releases the
/// held changes skipping what it already delivered. A hole in the live order (streams may lose or
/// reorder messages) that stays open for <see cref="SubscriptionOptions.GapWait"/> is filled from
/// the log, which is dense: when seq N is visible, everything before it is too.
/// <para>
/// Once live, a message that continues the order is handled inline on the hub's delivery thread
/// (under this feed's lock), so a thousand feeds cost a thousand cheap checks per message rather
/// than a thousand task wake-ups; the feed's own loop only runs to replay and to fill holes. Every
/// delivery happens under the lock with seq = last + 1, which is what makes it ordered and once.
/// </para>
/// </summary>
public sealed class RowStatusFeed(EventHub hub, IRowEventLog log, SubscriptionOptions options, FlowstateMetrics metrics,
                                  string org, long? after, Period? period, string? provider) : IObservable<object?>
{
    private EventHub Hub => hub;
    private IRowEventLog Log => log;
    private SubscriptionOptions Options => options;
    private FlowstateMetrics Metrics => metrics;
    private string Org => org;
    private long? After => after;
    private Period? PeriodFilter => period;
    private string? ProviderFilter => provider;

    public IDisposable Subscribe(IObserver<object?> observer)
    {
        var cts = new CancellationTokenSource();
        _ = new Run(this, observer).RunAsync(cts.Token);
        return new Cancel(cts);
    }

    private sealed class Run(RowStatusFeed feed, IObserver<object?> observer)
    {
        private readonly Lock _gate = new();
        private readonly SortedDictionary<long, RowStatusChanged> _pending = [];
        private readonly SemaphoreSlim _wake = new(0, 1);
        private long _last = -1;          // -1 until the replay has set the starting point
        private bool _caughtUp;           // false while replaying: live changes are only held
        private bool _stopped;
        private bool _overflowed;        // held changes were dropped: the log must be read again

        public async Task RunAsync(CancellationToken ct)
        {
            feed.Metrics.FeedStarted();
            var live = false;
            try
            {
                using var listening = await feed.Hub.ListenAsync<RowStatusChanges>(
                    StreamId.Create(EventStreams.RowStatus, EventStreams.RowStatusKey(feed.Org)), OnLive, ct);
                var start = feed.After ?? await feed.Log.LastSeqAsync(feed.Org, ct);
                lock (_gate) _last = start;
                while (true)
                {
                    await CatchUpAsync(ct);
                    lock (_gate)
                    {
                        if (!_overflowed)
                        {
                            _caughtUp = true;
                            Release();
                            break;
                        }
                        _overflowed = false;
                    }
                }
                feed.Metrics.WentLive();
                live = true;
                while (true)
                {
                    await _wake.WaitAsync(ct);              // a hole opened in the live order, or held changes overflowed
                    bool overflowed;
                    lock (_gate) (overflowed, _overflowed) = (_overflowed, false);
                    if (!overflowed) await Task.Delay(feed.Options.GapWait, ct);
                    bool hole;
                    lock (_gate) hole = overflowed || _pending.Count > 0;
                    if (hole) await CatchUpAsync(ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
            catch (Exception e)
            {
                lock (_gate) _stopped = true;
                observer.OnError(e);
            }
            finally
            {
                lock (_gate) _stopped = true;
                if (live) feed.Metrics.LeftLive();
                feed.Metrics.FeedEnded();
            }
        }

        /// <summary>The hub's delivery: continues the order inline, or holds changes until the order can continue.</summary>
        private void OnLive(RowStatusChanges message)
        {
            lock (_gate)
            {
                if (_stopped) return;
                foreach (var change in message.Changes)
                    if (change.Seq > _last || _last < 0) _pending.TryAdd(change.Seq, change);
                if (_caughtUp) Release();
                if (_pending.Count > feed.Options.MaxHeld)
                {
                    // Everything dropped here is committed, so the next read of the log finds it.
                    _pending.Clear();
                    _overflowed = true;
                }
                if (_caughtUp && (_pending.Count > 0 || _overflowed) && _wake.CurrentCount == 0) _wake.Release();
            }
        }

        /// <summary>Delivers held changes while they continue the order (under the lock).</summary>
        private void Release()
        {
            while (_pending.Count > 0)
            {
                var (seq, change) = _pending.First();
                if (seq <= _last) { _pending.Remove(seq); continue; }
                if (seq != _last + 1) return;
                _pending.Remove(seq);
                Deliver(change);
            }
        }

        /// <summary>Delivers everything the log holds after the last delivered seq, then what was held behind it.</summary>
        private async Task CatchUpAsync(CancellationToken ct)
        {
            while (true)
            {
                long from;
                lock (_gate) from = _last;
                var page = await feed.Log.ReadAfterAsync(feed.Org, from, feed.Options.ReplayPage, ct);
                lock (_gate)
                {
                    foreach (var change in page)
                        if (change.Seq == _last + 1) Deliver(change);
                    if (_caughtUp) Release();
                }
                if (page.Count < feed.Options.ReplayPage) return;
            }
        }

        private void Deliver(RowStatusChanged change)
        {
            _last = change.Seq;
            if (feed.PeriodFilter is { } p && change.Period != p) return;
            if (feed.ProviderFilter is not null && change.ProviderId != feed.ProviderFilter) return;
            observer.OnNext(new RowChange(feed.Org, change));
        }
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
public sealed class PeriodSummaryFeed(EventHub hub, IGrainFactory grains, FlowstateMetrics metrics, string org, Period period)
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
