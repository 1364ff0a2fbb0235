namespace Flowstate.Storage;

/// <summary>
/// Group commit: items enqueued while a batch is being written go out together in the next one,
/// and each caller's task completes when the batch holding its item is durable. Used inside
/// reentrant grains and by per-silo services alike, so it locks its two fields (never across a write).
/// </summary>
public sealed class GroupCommit<T>(Func<IReadOnlyList<T>, Task> writeBatch)
{
    private readonly Lock _lock = new();
    private List<T> _pending = [];
    private TaskCompletionSource? _next;
    private bool _writing;

    public Task EnqueueAsync(T item)
    {
        Task durable;
        bool start;
        lock (_lock)
        {
            _pending.Add(item);
            _next ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            durable = _next.Task;
            start = !_writing;
            _writing = true;
        }
        if (start) _ = WriteLoopAsync();
        return durable;
    }

    private async Task WriteLoopAsync()
    {
        while (true)
        {
            List<T> batch;
            TaskCompletionSource done;
            lock (_lock)
            {
                if (_pending.Count == 0) { _writing = false; return; }
                (batch, done) = (_pending, _next!);
                (_pending, _next) = ([], null);
            }
            try
            {
                await writeBatch(batch);
                done.SetResult();
            }
            catch (Exception e) { done.SetException(e); }
        }
    }
}
