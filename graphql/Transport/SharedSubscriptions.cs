using System.Collections.Immutable;
using System.Text;
using GraphQL;
using GraphQL.Transport;
using GraphQL.Types;
using Microsoft.Extensions.Logging;

namespace Flowstate.GraphQL.Transport;

/// <summary>How a subscription may be shared (see <see cref="GraphQLWebSocketOptions.Share"/>).</summary>
/// <param name="Key">Subscriptions with equal keys receive identical events: same document, variables and caller.</param>
/// <param name="ReplayLast">A member joining late first receives the latest event (a snapshot stream, such as a summary).</param>
public sealed record SubscriptionShare(string Key, bool ReplayLast);

/// <summary>
/// Identical live subscriptions on this silo, run once. The first member's request is executed; every
/// event is then executed and serialized once and the same payload goes to every member, each under
/// its own operation id. A thousand dashboards watching the same period cost one GraphQL execution
/// per event instead of a thousand. The shared execution uses the root services (it outlives the
/// connection that started it) and ends when its last member leaves.
/// </summary>
public sealed class SharedSubscriptions(IServiceProvider services, IDocumentExecuter<ISchema> executer,
                                        IGraphQLTextSerializer serializer, ILogger<SharedSubscriptions> logger)
{
    private readonly IServiceProvider _services = services;
    private readonly IDocumentExecuter<ISchema> _executer = executer;
    private readonly IGraphQLTextSerializer _serializer = serializer;
    private readonly ILogger _logger = logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Group> _groups = [];

    /// <summary>What a member is told: a <c>next</c> payload (serialized ExecutionResult), a protocol <c>error</c>, or the end.</summary>
    public interface IMember
    {
        void Next(byte[] payload);
        void Error(ExecutionErrors errors);
        void Completed();
    }

    /// <summary>Shared executions running now.</summary>
    public int Groups { get { lock (_gate) return _groups.Count; } }

    /// <summary>Joins (or starts) the shared subscription <paramref name="share"/>; dispose to leave.</summary>
    public IDisposable Join(SubscriptionShare share, ExecutionOptions options, IMember member)
    {
        Group group;
        bool start;
        lock (_gate)
        {
            start = !_groups.TryGetValue(share.Key, out group!);
            if (start) _groups[share.Key] = group = new Group(this, share);
            group.Add(member);
        }
        if (start) _ = group.StartAsync(options);
        return new Membership(group, member);
    }

    private void Remove(Group group)
    {
        lock (_gate)
            if (_groups.TryGetValue(group.Share.Key, out var current) && current == group) _groups.Remove(group.Share.Key);
    }

    private sealed class Group(SharedSubscriptions owner, SubscriptionShare share) : IObserver<ExecutionResult>
    {
        private readonly CancellationTokenSource _cts = new();
        private readonly Lock _lock = new();
        private ImmutableArray<IMember> _members = [];
        private byte[]? _last;
        private IDisposable? _subscription;
        private bool _ended;

        public SubscriptionShare Share => share;

        /// <summary>Under the owner's lock.</summary>
        public void Add(IMember member)
        {
            lock (_lock)
            {
                _members = _members.Add(member);
                if (share.ReplayLast && _last is { } last) member.Next(last);
            }
        }

        public void Leave(IMember member)
        {
            bool empty;
            lock (owner._gate)
            lock (_lock)
            {
                _members = _members.Remove(member);
                empty = _members.IsEmpty;
                if (empty) owner.Remove(this);
            }
            if (empty) End();
        }

        public async Task StartAsync(ExecutionOptions options)
        {
            try
            {
                options.RequestServices = owner._services;
                options.CancellationToken = _cts.Token;
                var result = await owner._executer.ExecuteAsync(options);
                if (!result.Executed)
                {
                    Finish(m => m.Error(result.Errors ?? new ExecutionErrors()));
                    return;
                }
                if (result.Streams is not { Count: > 0 } streams)
                {
                    OnNext(result);
                    OnCompleted();
                    return;
                }
                var subscription = streams.Values.First().Subscribe(this);
                lock (_lock)
                {
                    if (!_ended)
                    {
                        _subscription = subscription;
                        return;
                    }
                }
                subscription.Dispose();
            }
            catch (OperationCanceledException) when (_cts.IsCancellationRequested) { }
            catch (Exception ex)
            {
                owner._logger.LogError(ex, "Shared GraphQL subscription failed to start");
                Finish(m => m.Error(new ExecutionErrors { new ExecutionError("Internal server error.") }));
            }
        }

        public void OnNext(ExecutionResult value)
        {
            var payload = Encoding.UTF8.GetBytes(owner._serializer.Serialize(value));
            ImmutableArray<IMember> members;
            lock (_lock)
            {
                if (_ended) return;
                _last = payload;
                members = _members;
            }
            foreach (var member in members) member.Next(payload);
        }

        // As for a single subscription: a result with errors, then the end.
        public void OnError(Exception error)
        {
            owner._logger.LogWarning(error, "Shared GraphQL subscription failed");
            OnNext(new ExecutionResult(new ExecutionError("Error in event stream.", error)));
            OnCompleted();
        }

        public void OnCompleted() => Finish(m => m.Completed());

        /// <summary>Ends the group and tells every member, once.</summary>
        private void Finish(Action<IMember> tell)
        {
            ImmutableArray<IMember> members;
            lock (owner._gate)
            lock (_lock)
            {
                if (_ended) return;
                members = _members;
                owner.Remove(this);
            }
            End();
            foreach (var member in members) tell(member);
        }

        private void End()
        {
            IDisposable? subscription;
            lock (_lock)
            {
                if (_ended && _subscription is null) return;
                _ended = true;
                (subscription, _subscription) = (_subscription, null);
            }
            _cts.Cancel();
            subscription?.Dispose();
        }
    }

    private sealed class Membership(Group group, IMember member) : IDisposable
    {
        private int _left;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _left, 1) == 0) group.Leave(member);
        }
    }
}
