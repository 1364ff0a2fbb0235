namespace Flowstate.Storage;

/// <summary>
/// Group commit for a reentrant grain: items enqueued while a batch is being written go out
/// together in the next one, and each caller's task completes when the batch holding its item
/// is durable. Runs on the grain's single-threaded scheduler, so it needs no locks.
/// </summary>
public sealed class GroupCommit<T>(Func<IReadOnlyList<T>, Task> writeBatch)
{
    private List<T> _pending = [];
    private TaskCompletionSource? _next;
    private bool _writing;

    public Task EnqueueAsync(T item)
    {
        _pending.Add(item);
        _next ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var durable = _next.Task;
        if (!_writing) _ = WriteLoopAsync();
        return durable;
    }

    private async Task WriteLoopAsync()
    {
        _writing = true;
        try
        {
            while (_pending.Count > 0)
            {
                var (batch, done) = (_pending, _next!);
                (_pending, _next) = ([], null);
                try
                {
                    await writeBatch(batch);
                    done.SetResult();
                }
                catch (Exception e) { done.SetException(e); }
            }
        }
        finally { _writing = false; }
    }
}
