using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;
using GraphQL;
using GraphQL.Transport;
using GraphQL.Types;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Flowstate.GraphQL.Transport;

/// <summary>
/// One graphql-transport-ws connection: reads and dispatches messages, runs operations, and writes
/// every outgoing frame from a single loop (with the slow-consumer bound of <see cref="GraphQLWebSocketOptions"/>).
/// </summary>
internal sealed class GraphQLWebSocketConnection(HttpContext ctx, WebSocket socket, Action<ExecutionOptions, HttpContext>? configure, GraphQLWebSocketOptions options,
                                          FlowstateMetrics metrics)
{
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(3);
    private readonly IGraphQLTextSerializer _serializer = ctx.RequestServices.GetRequiredService<IGraphQLTextSerializer>();
    private readonly IDocumentExecuter<ISchema> _executer = ctx.RequestServices.GetRequiredService<IDocumentExecuter<ISchema>>();
    private readonly ILogger _logger = ctx.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(GraphQLWebSocketEndpoint));
    // Single writer: WebSocket allows one send at a time, while results arrive from any observer thread.
    private readonly Channel<(byte[]? Frame, int CloseCode, string? Reason)> _outbox =
        Channel.CreateUnbounded<(byte[]?, int, string?)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, GraphQLWebSocketOperation> _operations = new();
    private readonly TaskCompletionSource _acked = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted);
    private int _initReceived, _closing, _dropQueued, _queuedMessages;
    private long _queuedBytes;

    public async Task RunAsync()
    {
        var writer = WriteLoopAsync(_cts.Token);
        var watchdog = WatchdogAsync(_cts.Token);
        // A stopping silo says goodbye (1001 Going Away) so clients reconnect elsewhere and resume
        // from their cursor, instead of being cut off when the host's drain time runs out.
        using var stopping = ctx.RequestServices.GetService<IHostApplicationLifetime>()?.ApplicationStopping
            .Register(() => Close((int)WebSocketCloseStatus.EndpointUnavailable, "Server shutting down"));
        try { await ReadLoopAsync(_cts.Token); }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException) { }
        finally
        {
            foreach (var id in _operations.Keys)
                if (_operations.TryRemove(id, out var op)) op.Dispose();
            _outbox.Writer.TryComplete();
            try { await writer.WaitAsync(CloseGrace); } catch (TimeoutException) { }
            _cts.Cancel();
            await watchdog;
            _cts.Dispose();
        }
    }

    private async Task ReadLoopAsync(CancellationToken ct)
    {
        var buffer = new byte[4096];
        using var message = new MemoryStream();
        while (true)
        {
            message.SetLength(0);
            ValueWebSocketReceiveResult received;
            do
            {
                received = await socket.ReceiveAsync(buffer.AsMemory(), ct);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    Close((int)(socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure), ""); // echo the close handshake
                    return;
                }
                if (message.Length + received.Count > options.MaxMessageBytes)
                    Close(4400, "Message too large");
                else
                    message.Write(buffer, 0, received.Count);
            } while (!received.EndOfMessage);
            // After we sent a close frame we only wait for the client's, ignoring anything else it still sends.
            if (Volatile.Read(ref _closing) == 0)
            {
                message.Position = 0;
                await HandleMessageAsync(message, ct);
            }
        }
    }

    private async Task WriteLoopAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var (frame, closeCode, reason) in _outbox.Reader.ReadAllAsync(ct))
            {
                if (frame is not null)
                {
                    // Closing a slow consumer: what is still queued is dropped so the close frame goes out next.
                    if (Volatile.Read(ref _dropQueued) == 0)
                        await socket.SendAsync(frame, WebSocketMessageType.Text, true, ct);
                    Interlocked.Decrement(ref _queuedMessages);
                    Interlocked.Add(ref _queuedBytes, -frame.Length);
                }
                else if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                    await socket.CloseOutputAsync((WebSocketCloseStatus)closeCode, reason, ct);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            _cts.Cancel(); // nothing can be delivered any more, so stop reading and executing too
        }
    }

    private async Task WatchdogAsync(CancellationToken ct)
    {
        try
        {
            await Task.WhenAny(_acked.Task, Task.Delay(options.ConnectionInitTimeout, ct));
            if (ct.IsCancellationRequested) return;
            if (!_acked.Task.IsCompleted)
            {
                Close(4408, "Connection initialisation timeout");
                return;
            }
            await Task.WhenAll(PingAsync(ct), RecheckAsync(ct));
        }
        catch (OperationCanceledException) { }
    }

    private async Task PingAsync(CancellationToken ct)
    {
        if (options.KeepAlive <= TimeSpan.Zero) return;
        using var timer = new PeriodicTimer(options.KeepAlive);
        while (await timer.WaitForNextTickAsync(ct))
            Send(null, "ping");
    }

    /// <summary>Closes the connection (4403) once the credentials it was accepted with no longer hold.</summary>
    private async Task RecheckAsync(CancellationToken ct)
    {
        if (options.StillAuthorized is not { } stillAuthorized) return;
        using var timer = new PeriodicTimer(options.RecheckInterval);
        while (await timer.WaitForNextTickAsync(ct))
        {
            bool holds;
            try { holds = await stillAuthorized(ctx); }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _logger.LogWarning(ex, "Could not recheck a GraphQL WebSocket's credentials; keeping it open until the next check");
                continue;
            }
            if (holds) continue;
            foreach (var id in _operations.Keys)
                if (_operations.TryRemove(id, out var op)) op.Dispose();
            Close(4403, "Forbidden: the connection's credentials were revoked or have expired");
            return;
        }
    }

    private async Task HandleMessageAsync(Stream json, CancellationToken ct)
    {
        OperationMessage? message;
        GraphQLRequest? request = null;
        try
        {
            message = await _serializer.ReadAsync<OperationMessage>(json, ct);
            if (message?.Type == "subscribe")
                request = _serializer.ReadNode<GraphQLRequest>(message.Payload);
        }
        // Whatever the client sent, a bad frame ends this connection only, never the process.
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Close(4400, "Invalid message received");
            return;
        }

        switch (message?.Type)
        {
            case "connection_init":
                if (Interlocked.Exchange(ref _initReceived, 1) == 1)
                {
                    Close(4429, "Too many initialisation requests");
                    return;
                }
                if (!await AuthorizeAsync(message.Payload)) return;
                Send(null, "connection_ack");
                _acked.TrySetResult();
                break;
            case "ping":
                Send(null, "pong", message.Payload);
                break;
            case "pong":
                break;
            case "subscribe":
                Subscribe(message.Id, request);
                break;
            case "complete" when string.IsNullOrEmpty(message.Id):
                Close(4400, "Invalid message received: 'complete' requires an id");
                break;
            case "complete":
                if (_operations.TryRemove(message.Id, out var operation)) operation.Dispose();
                break;
            case null:
                Close(4400, "Invalid message received: missing 'type'");
                break;
            default:
                Close(4400, $"Invalid message received: unexpected type '{message.Type}'");
                break;
        }
    }

    /// <summary>Runs the <see cref="GraphQLWebSocketOptions.OnConnect"/> hook; closes the connection (4400 or 4403) and returns false when it refuses.</summary>
    private async Task<bool> AuthorizeAsync(object? payload)
    {
        if (options.OnConnect is not { } onConnect) return true;
        IReadOnlyDictionary<string, object?>? parsed;
        try { parsed = payload is null ? null : _serializer.ReadNode<Inputs>(payload); }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Close(4400, "Invalid message received: the connection_init payload must be an object");
            return false;
        }
        bool allowed;
        try { allowed = await onConnect(ctx, parsed); }
        catch (WebSocketRefusedException refused)
        {
            Close(refused.CloseCode, refused.Message);
            return false;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.LogWarning(ex, "The GraphQL WebSocket connect hook failed; refusing the connection");
            allowed = false;
        }
        if (!allowed) Close(4403, "Forbidden");
        return allowed;
    }

    private void Subscribe(string? id, GraphQLRequest? request)
    {
        if (string.IsNullOrEmpty(id) || request is null || string.IsNullOrWhiteSpace(request.Query))
        {
            Close(4400, "Invalid message received: 'subscribe' requires an id and a payload with a query");
            return;
        }
        if (!_acked.Task.IsCompleted)
        {
            Close(4401, "Unauthorized");
            return;
        }
        if (_operations.Count >= options.MaxSubscriptionsPerConnection)
        {
            Send(id, "error", new ExecutionErrors { new ExecutionError("Too many active operations on this connection.") });
            return;
        }
        var operation = new GraphQLWebSocketOperation(_cts.Token, metrics);
        if (!_operations.TryAdd(id, operation))
        {
            operation.Dispose();
            Close(4409, $"Subscriber for {id} already exists");
            return;
        }
        _ = ExecuteAsync(id, request, operation);
    }

    private async Task ExecuteAsync(string id, GraphQLRequest request, GraphQLWebSocketOperation operation)
    {
        try
        {
            if (options.Share?.Invoke(ctx, request) is { } share && ctx.RequestServices.GetService<SharedSubscriptions>() is { } shared)
            {
                operation.Attach(shared.Join(share, GraphQLExecution.Options(request, ctx, CancellationToken.None, configure), new SharedMember(this, id, operation)));
                return;
            }
            var executionOptions = GraphQLExecution.Options(request, ctx, operation.Token, configure);
            var result = await _executer.ExecuteAsync(executionOptions);
            if (operation.IsDisposed)
                return;
            if (!result.Executed)
            {
                // Parse/validation failures: the protocol's `error` message already terminates the operation.
                if (Finish(id, operation)) Send(id, "error", result.Errors ?? new ExecutionErrors());
                return;
            }
            if (result.Streams is { Count: > 0 } streams)
            {
                // graphql-dotnet allows a single root field per subscription, hence a single stream.
                operation.Attach(streams.Values.First().Subscribe(new Observer(this, id, operation)));
                return;
            }
            Next(id, operation, result);
            Complete(id, operation);
        }
        catch (OperationCanceledException) when (operation.Token.IsCancellationRequested) { }
        catch (Exception ex)
        {
            _logger.LogError(ex, "GraphQL WebSocket operation {Id} failed", id);
            if (Finish(id, operation)) Send(id, "error", new ExecutionErrors { new ExecutionError("Internal server error.") });
        }
    }

    private void Next(string id, GraphQLWebSocketOperation operation, ExecutionResult result)
    {
        if (!operation.IsDisposed) Send(id, "next", result);
    }

    private void Complete(string id, GraphQLWebSocketOperation operation)
    {
        if (Finish(id, operation)) Send(id, "complete");
    }

    /// <summary>Removes exactly this operation (a client may have reused the id after completing it).</summary>
    private bool Finish(string id, GraphQLWebSocketOperation operation)
    {
        if (!_operations.TryRemove(KeyValuePair.Create(id, operation))) return false;
        operation.Dispose();
        return true;
    }

    private void Send(string? id, string type, object? payload = null)
    {
        try
        {
            if (Volatile.Read(ref _dropQueued) != 0) return;
            Enqueue(Encoding.UTF8.GetBytes(_serializer.Serialize(new OperationMessage { Id = id, Type = type, Payload = payload })));
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Could not serialize GraphQL WebSocket '{Type}' message for {Id}", type, id);
        }
    }

    /// <summary>A <c>next</c> message around a payload serialized once for many operations; <paramref name="head"/> from <see cref="NextHead"/>.</summary>
    private void SendNext(byte[] head, GraphQLWebSocketOperation operation, byte[] payload)
    {
        if (operation.IsDisposed || Volatile.Read(ref _dropQueued) != 0) return;
        var frame = new byte[head.Length + payload.Length + 1];
        head.CopyTo(frame, 0);
        payload.CopyTo(frame, head.Length);
        frame[^1] = (byte)'}';
        Enqueue(frame);
    }

    private static byte[] NextHead(string id) =>
        Encoding.UTF8.GetBytes($"{{\"id\":{System.Text.Json.JsonSerializer.Serialize(id)},\"type\":\"next\",\"payload\":");

    private void Enqueue(byte[] frame)
    {
        var queued = Interlocked.Increment(ref _queuedMessages);
        var bytes = Interlocked.Add(ref _queuedBytes, frame.Length);
        if (!_outbox.Writer.TryWrite((frame, 0, null)))
        {
            Interlocked.Decrement(ref _queuedMessages);
            Interlocked.Add(ref _queuedBytes, -frame.Length);
        }
        else if (queued > options.MaxQueuedMessages || bytes > options.MaxQueuedBytes)
            CloseSlowConsumer(queued, bytes);
    }

    /// <summary>Stops every operation at once (nothing more is produced), drops the queue and closes.</summary>
    private void CloseSlowConsumer(int queued, long bytes)
    {
        if (Interlocked.Exchange(ref _dropQueued, 1) == 1) return;
        _logger.LogInformation("Closing a slow GraphQL WebSocket consumer: {Messages} message(s), {Bytes} byte(s) unsent", queued, bytes);
        foreach (var id in _operations.Keys)
            if (_operations.TryRemove(id, out var op)) op.Dispose();
        Close(GraphQLWebSocketOptions.SlowConsumerCloseCode, $"Slow consumer: more than {options.MaxQueuedMessages} messages or {options.MaxQueuedBytes} bytes unsent");
    }

    private void Close(int code, string reason)
    {
        if (Interlocked.Exchange(ref _closing, 1) == 1) return;
        while (Encoding.UTF8.GetByteCount(reason) > 123) reason = reason[..^1]; // RFC 6455 limit for close reasons
        _outbox.Writer.TryWrite((null, code, reason));
        _outbox.Writer.TryComplete();
        _cts.CancelAfter(CloseGrace); // a client that never answers our close frame must not hold the connection
    }

    private sealed class SharedMember(GraphQLWebSocketConnection connection, string id, GraphQLWebSocketOperation operation) : SharedSubscriptions.IMember
    {
        private readonly byte[] _head = NextHead(id);

        public void Next(byte[] payload) => connection.SendNext(_head, operation, payload);

        public void Error(ExecutionErrors errors)
        {
            if (connection.Finish(id, operation)) connection.Send(id, "error", errors);
        }

        public void Completed() => connection.Complete(id, operation);
    }

    private sealed class Observer(GraphQLWebSocketConnection connection, string id, GraphQLWebSocketOperation operation) : IObserver<ExecutionResult>
    {
        public void OnNext(ExecutionResult value) => connection.Next(id, operation, value);

        // The protocol has no stream-level error message: report a result with errors, then end the operation.
        public void OnError(Exception error)
        {
            connection._logger.LogWarning(error, "GraphQL WebSocket subscription {Id} failed", id);
            connection.Next(id, operation, new ExecutionResult(new ExecutionError("Error in event stream.", error)));
            connection.Complete(id, operation);
        }

        public void OnCompleted() => connection.Complete(id, operation);
    }
}
