namespace Flowstate.GraphQL.Transport;

/// <summary>One operation of a connection: its cancellation, its stream subscription, and its place in the metrics.</summary>
internal sealed class GraphQLWebSocketOperation : IDisposable
{
    private readonly CancellationTokenSource _cts;
    private readonly Lock _gate = new();
    private IDisposable? _subscription;
    private bool _disposed;

    private readonly FlowstateMetrics _metrics;

    public GraphQLWebSocketOperation(CancellationToken connectionToken, FlowstateMetrics metrics)
    {
        _cts = CancellationTokenSource.CreateLinkedTokenSource(connectionToken);
        Token = _cts.Token;
        _metrics = metrics;
        metrics.OperationStarted();
    }

    public CancellationToken Token { get; }
    public bool IsDisposed { get { lock (_gate) return _disposed; } }

    /// <summary>Keeps the stream subscription, or disposes it at once if the client already completed the operation.</summary>
    public void Attach(IDisposable subscription)
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                _subscription = subscription;
                return;
            }
        }
        subscription.Dispose();
    }

    public void Dispose()
    {
        IDisposable? subscription;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            (subscription, _subscription) = (_subscription, null);
        }
        _cts.Cancel();
        _cts.Dispose();
        subscription?.Dispose();
        _metrics.OperationEnded();
    }
}
