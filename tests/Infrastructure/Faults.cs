using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Orleans.Runtime;
using Orleans.Storage;

namespace Flowstate.Tests.Infrastructure;

/// <summary>
/// Fault injection for the test clusters: rules that fail the Nth grain-state write or the Nth push
/// (an outgoing grain call) that matches, and counters of what passed. Rules name the test's own
/// org in their predicate, so tests sharing a cluster do not disturb each other. Dispose a rule to lift it.
/// </summary>
public sealed class Faults
{
    private readonly List<Rule> _rules = [];

    /// <summary>Where a failure strikes: before the write or call, or after it went through (the reply is lost).</summary>
    public enum When { Before, After }

    /// <summary>One write (state name and grain key) or push (caller, callee, method) as the rules see it.</summary>
    public sealed record Operation(string Kind, string Source, string Target, string Method);

    public sealed class Rule(Func<Operation, bool> match, int nth, int times, When when) : IDisposable
    {
        private int _seen, _failed;
        internal Action? Lift;
        public int Seen => Volatile.Read(ref _seen);
        public int Failed => Volatile.Read(ref _failed);
        public When When { get; } = when;

        internal bool Strikes(Operation op)
        {
            if (!match(op)) return false;
            var n = Interlocked.Increment(ref _seen);
            if (n < nth || n - nth >= times) return false;
            Interlocked.Increment(ref _failed);
            return true;
        }

        public void Dispose() => Lift?.Invoke();
    }

    private Rule Add(Func<Operation, bool> match, int nth, int times, When when)
    {
        var rule = new Rule(match, nth, times, when);
        lock (_rules) _rules.Add(rule);
        rule.Lift = () => { lock (_rules) _rules.Remove(rule); };
        return rule;
    }

    /// <summary>Fails the <paramref name="nth"/> (and the next <paramref name="times"/> − 1) state writes of grains whose key contains <paramref name="keyPart"/>.</summary>
    public Rule FailWrites(string stateName, string keyPart, int nth = 1, int times = 1, When when = When.Before) =>
        Add(op => op.Kind == "write" && op.Source == stateName && op.Target.Contains(keyPart, StringComparison.Ordinal), nth, times, when);

    /// <summary>Fails pushes (calls of <paramref name="method"/>) from grains of <paramref name="sourceType"/> whose key contains <paramref name="keyPart"/>.</summary>
    public Rule FailPushes(string sourceType, string method, string keyPart, int nth = 1, int times = 1, When when = When.Before) =>
        Add(op => op.Kind == "push" && op.Source.StartsWith(sourceType + "/", StringComparison.Ordinal) && op.Method == method
                  && op.Source.Contains(keyPart, StringComparison.Ordinal), nth, times, when);

    /// <summary>Counts (never fails) calls of <paramref name="method"/> from grains of <paramref name="sourceType"/> whose key contains <paramref name="keyPart"/>.</summary>
    public Rule CountPushes(string sourceType, string method, string keyPart) =>
        Add(op => op.Kind == "push" && op.Source.StartsWith(sourceType + "/", StringComparison.Ordinal) && op.Method == method
                  && op.Source.Contains(keyPart, StringComparison.Ordinal), int.MaxValue, 0, When.Before);

    /// <summary>A gate in front of matching state writes: they wait until it is opened (<see cref="Open"/> or Dispose).</summary>
    public sealed class Hold(Func<Operation, bool> match) : IDisposable
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        internal Action? Lift;

        /// <summary>Completes once a matching write is waiting at the gate.</summary>
        public Task Reached => _reached.Task;

        internal async Task WaitAsync(Operation op)
        {
            if (_open.Task.IsCompleted || !match(op)) return;
            _reached.TrySetResult();
            await _open.Task;
        }

        public void Open() => _open.TrySetResult();

        public void Dispose()
        {
            Open();
            Lift?.Invoke();
        }
    }

    private readonly List<Hold> _holds = [];

    /// <summary>Holds the state writes of grains whose key contains <paramref name="keyPart"/> until the gate is opened.</summary>
    public Hold HoldWrites(string stateName, string keyPart)
    {
        var hold = new Hold(op => op.Kind == "write" && op.Source == stateName && op.Target.Contains(keyPart, StringComparison.Ordinal));
        lock (_holds) _holds.Add(hold);
        hold.Lift = () => { lock (_holds) _holds.Remove(hold); };
        return hold;
    }

    internal async Task RunAsync(Operation op, Func<Task> operation)
    {
        Hold[] holds;
        lock (_holds) holds = _holds.ToArray();
        foreach (var hold in holds) await hold.WaitAsync(op);
        Rule[] rules;
        lock (_rules) rules = _rules.ToArray();
        var strikes = rules.Where(r => r.Strikes(op)).ToList();
        if (strikes.Any(r => r.When == When.Before)) throw Injected(op);
        await operation();
        if (strikes.Count > 0) throw Injected(op);
    }

    private static Exception Injected(Operation op) => op.Kind == "write"
        ? new NpgsqlException($"injected fault: {op.Kind} {op.Source} {op.Target}", new TimeoutException())
        : new StorageUnavailableException($"injected fault: {op.Method} {op.Source} → {op.Target}");

    /// <summary>Wraps the silo's Flowstate grain storage and adds the push filter (call from a silo configurator).</summary>
    public void Install(ISiloBuilder silo)
    {
        var services = silo.Services;
        var original = services.Last(d => d.ServiceType == typeof(IGrainStorage) && Equals(d.ServiceKey, GrainStorage.Name));
        services.AddKeyedSingleton<IGrainStorage>(GrainStorage.Name,
            (sp, key) => new FaultyStorage((IGrainStorage)original.KeyedImplementationFactory!(sp, key), this));
        silo.AddOutgoingGrainCallFilter(context =>
            context.SourceId is { } source && context.TargetId.Type.ToString() is not null
                ? RunAsync(new Operation("push", source.ToString(), context.TargetId.ToString(), context.InterfaceMethod?.Name ?? context.MethodName), context.Invoke)
                : context.Invoke());
    }

    /// <summary>The grain storage with this plan's write faults in front of it.</summary>
    private sealed class FaultyStorage(IGrainStorage inner, Faults faults) : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
    {
        public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ReadStateAsync(stateName, grainId, grainState);

        public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
            faults.RunAsync(new Operation("write", stateName, grainId.Key.ToString()!, "Write"), () => inner.WriteStateAsync(stateName, grainId, grainState));

        public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ClearStateAsync(stateName, grainId, grainState);

        public void Participate(ISiloLifecycle lifecycle) => (inner as ILifecycleParticipant<ISiloLifecycle>)?.Participate(lifecycle);
    }
}
