using Flowstate.Storage;

namespace Flowstate.Ingestion;

/// <summary>
/// Where the fold has got to, as this silo knows it: the local fold reports each saved position, and
/// while anyone waits a poller reads the saved position (another silo may be the folder). Lets a caller
/// wait until the items it appended are folded (read-your-writes) without a query per caller.
/// </summary>
public sealed class FoldProgress(IngestLogStore log)
{
    private static readonly TimeSpan PollEvery = TimeSpan.FromMilliseconds(20);

    private readonly object _gate = new();
    private readonly List<(FoldPosition Target, TaskCompletionSource Done)> _waiters = [];
    private FoldPosition _known = FoldPosition.Start;
    private bool _polling;

    /// <summary>The fold has saved <paramref name="position"/>: everything up to it is visible.</summary>
    public void Advanced(FoldPosition position)
    {
        List<TaskCompletionSource> done;
        lock (_gate)
        {
            if (position <= _known) return;
            _known = position;
            done = _waiters.Where(w => w.Target <= position).Select(w => w.Done).ToList();
            _waiters.RemoveAll(w => w.Target <= position);
        }
        foreach (var d in done) d.TrySetResult();
    }

    /// <summary>Whether the fold is known (on this silo) to have passed <paramref name="target"/>.</summary>
    public bool Passed(FoldPosition target)
    {
        lock (_gate) return target <= _known;
    }

    /// <summary>
    /// Waits until the fold has passed <paramref name="target"/>, at most <paramref name="timeout"/>.
    /// True when it has (the items are visible), false when the time ran out (they are durable all the same).
    /// </summary>
    public async Task<bool> WaitAsync(FoldPosition target, TimeSpan timeout, CancellationToken ct = default)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (target <= _known) return true;
            _waiters.Add((target, done));
            if (!_polling) { _polling = true; _ = Task.Run(PollAsync, CancellationToken.None); }
        }
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timer.CancelAfter(timeout);
        try { await done.Task.WaitAsync(timer.Token); return true; }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested) { return false; }
        finally { lock (_gate) _waiters.RemoveAll(w => w.Done == done); }
    }

    private async Task PollAsync()
    {
        while (true)
        {
            lock (_gate)
                if (_waiters.Count == 0) { _polling = false; return; }
            try { Advanced(await log.PositionAsync(CancellationToken.None)); }
            catch (Exception) { /* storage down: the waiters time out, their items are durable all the same */ }
            await Task.Delay(PollEvery);
        }
    }
}
