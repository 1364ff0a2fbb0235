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
    private readonly List<(FoldPosition Target, TaskCompletionSource<bool> Done)> _waiters = [];
    private FoldPosition _known = FoldPosition.Start;
    private bool _polling;

    /// <summary>The fold has saved <paramref name="position"/>: everything up to it is visible.</summary>
    public void Advanced(FoldPosition position)
    {
        List<TaskCompletionSource<bool>> done;
        lock (_gate)
        {
            if (position <= _known) return;
            _known = position;
            done = _waiters.Where(w => w.Target <= position).Select(w => w.Done).ToList();
            _waiters.RemoveAll(w => w.Target <= position);
        }
        foreach (var d in done) d.TrySetResult(true);
    }

    /// <summary>Whether the fold is known (on this silo) to have passed <paramref name="target"/>.</summary>
    public bool Passed(FoldPosition target)
    {
        lock (_gate) return target <= _known;
    }

    /// <summary>
    /// Waits until the fold has passed <paramref name="target"/>, at most <paramref name="timeout"/>.
    /// True when it has (the items are visible); false when the time ran out, or at once when the fold's
    /// position cannot be read (storage down: the fold cannot move either). The items are durable all the same.
    /// </summary>
    public async Task<bool> WaitAsync(FoldPosition target, TimeSpan timeout, CancellationToken ct = default)
    {
        var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (target <= _known) return true;
            _waiters.Add((target, done));
            if (!_polling) { _polling = true; _ = Task.Run(PollAsync, CancellationToken.None); }
        }
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timer.CancelAfter(timeout);
        try { return await done.Task.WaitAsync(timer.Token); }
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
            catch (Exception)
            {
                // Storage down: the fold cannot move, so nobody waits for it (their items are durable all the same).
                List<TaskCompletionSource<bool>> waiting;
                lock (_gate)
                {
                    waiting = _waiters.Select(w => w.Done).ToList();
                    _waiters.Clear();
                }
                foreach (var w in waiting) w.TrySetResult(false);
            }
            await Task.Delay(PollEvery);
        }
    }
}
