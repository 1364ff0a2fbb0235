using System.Collections.Immutable;
using Flowstate.Reconciliation;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;
using Orleans.Streams;

namespace Flowstate.GraphQL.Subscriptions;

/// <summary>
/// The host-side end of the event streams: at most ONE Orleans stream subscription per stream on
/// this silo, fanned out to any number of local listeners (GraphQL subscriptions). The stream is
/// subscribed when its first local listener arrives and unsubscribed when its last one leaves, so
/// a thousand WebSocket subscribers on one org cost one entry in the stream's pub-sub registry.
/// Listeners are called on the stream's delivery thread and must not block.
/// </summary>
public sealed class EventHub(IClusterClient client, ILogger<EventHub> logger)
{
    private readonly ILogger _logger = logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<StreamId, Topic> _topics = [];
    private int _streamSubscriptions;
    private int _listeners;

    /// <summary>Orleans stream subscriptions this silo holds right now.</summary>
    public int StreamSubscriptions => Volatile.Read(ref _streamSubscriptions);

    /// <summary>Local listeners attached to those subscriptions.</summary>
    public int Listeners => Volatile.Read(ref _listeners);

    /// <summary>
    /// Attaches <paramref name="onNext"/> to the stream and returns once the stream subscription is
    /// in place: every message published after that reaches the listener. Dispose to detach.
    /// </summary>
    public async Task<IDisposable> ListenAsync<T>(StreamId stream, Action<T> onNext, CancellationToken ct)
    {
        Topic topic;
        var listener = new Listener(this, m => onNext((T)m));
        lock (_gate)
        {
            if (!_topics.TryGetValue(stream, out topic!))
            {
                topic = new Topic(stream);
                _topics[stream] = topic;
                topic.Subscribed = SubscribeAsync<T>(topic);
            }
            listener.Topic = topic;
            topic.Listeners = topic.Listeners.Add(listener);
            Interlocked.Increment(ref _listeners);
        }
        try
        {
            await topic.Subscribed.WaitAsync(ct);
            return listener;
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    private async Task<StreamSubscriptionHandle<T>> SubscribeAsync<T>(Topic topic)
    {
        var stream = client.GetStreamProvider(EventStreams.Provider).GetStream<T>(topic.Id);
        var handle = await stream.SubscribeAsync((message, _) =>
        {
            foreach (var listener in topic.Listeners) listener.Deliver(message!);
            return Task.CompletedTask;
        });
        Interlocked.Increment(ref _streamSubscriptions);
        topic.Unsubscribe = async () =>
        {
            await handle.UnsubscribeAsync();
            Interlocked.Decrement(ref _streamSubscriptions);
        };
        return handle;
    }

    private void Detach(Listener listener)
    {
        var topic = listener.Topic!;
        bool last;
        lock (_gate)
        {
            topic.Listeners = topic.Listeners.Remove(listener);
            Interlocked.Decrement(ref _listeners);
            last = topic.Listeners.IsEmpty && _topics.TryGetValue(topic.Id, out var current) && current == topic;
            if (last) _topics.Remove(topic.Id);
        }
        if (last) _ = UnsubscribeAsync(topic);
    }

    private async Task UnsubscribeAsync(Topic topic)
    {
        try
        {
            await topic.Subscribed;
            await topic.Unsubscribe!();
        }
        catch (Exception e)
        {
            // A failed subscribe has nothing to undo; a failed unsubscribe is cleaned up by the
            // pub-sub registry the first time delivery to this dead handle fails.
            _logger.LogWarning(e, "Leaving stream {Stream} failed", topic.Id);
        }
    }

    private sealed class Topic(StreamId id)
    {
        public StreamId Id { get; } = id;
        public ImmutableArray<Listener> Listeners = [];
        public Task Subscribed = Task.CompletedTask;
        public Func<Task>? Unsubscribe;
    }

    private sealed class Listener(EventHub hub, Action<object> deliver) : IDisposable
    {
        private int _disposed;
        public Topic? Topic;

        public void Deliver(object message)
        {
            if (Volatile.Read(ref _disposed) != 0) return;
            try { deliver(message); }
            catch (Exception e) { hub._logger.LogError(e, "A listener of {Stream} failed", Topic!.Id); }
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) hub.Detach(this);
        }
    }
}
