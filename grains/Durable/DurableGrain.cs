using System.Runtime.ExceptionServices;
using Microsoft.Extensions.Logging;

namespace Flowstate.Durable;

/// <summary>
/// The durable-command pattern, for every grain that changes its state and then pushes to other
/// grains. A command changes the state, names the pushes it owes (<see cref="Push"/>: a target and
/// the version the target must reach) and calls <see cref="CommitAsync"/>, which stores the state
/// with its outbox and then sends; the grain builds each message from its state in
/// <see cref="SendAsync"/>. Targets keep the newest version per sender, so a re-send is harmless.
/// <code>
/// [GrainType("thing")]
/// public sealed class ThingGrain([PersistentState("thing", GrainStorage.Name)] IPersistentState&lt;ThingState&gt; state, Durability durability)
///     : DurableGrain&lt;ThingState&gt;(state, durability), IThingGrain
/// {
///     public async Task AddAsync(int amount)
///     {
///         if (amount &lt;= 0) throw FlowstateException.InvalidInput("…");   // domain errors before any change
///         State.Total += amount;
///         State.Version++;
///         Push("total", State.Version);                                   // owed: the parent must reach this version
///         await CommitAsync();                                            // the last step of the command
///     }
///
///     protected override Task SendAsync(string target) =>                 // built from the state as it is now
///         GrainFactory.GetGrain&lt;IParentGrain&gt;(…).ApplyAsync(new Share(this.GetPrimaryKeyString(), State.Version, State.Total));
/// }
/// // ThingState : IDurableState, with [Id(n)] public Outbox Outbox { get; set; } = new();
/// </code>
/// What it guarantees:
/// <list type="bullet">
/// <item>A command that fails before its state write, with anything but a <see cref="FlowstateException"/>,
/// deactivates the grain, so no half-made change stays in memory: the next call reloads what storage
/// holds, and a retry never answers "unchanged" for something that was not stored. Domain errors are
/// thrown before the first change, so they keep the activation.</item>
/// <item>A push that fails after the write stays in the outbox and is retried by the grain itself
/// (a timer, with a growing delay) and on its next activation; what a target acknowledged is not sent again.</item>
/// <item>A silo that dies between the write and the push loses nothing: before writing a push the grain
/// records itself in the journal (<see cref="IntentJournal"/>), and <see cref="JournalReplay"/> asks every
/// grain still recorded there after <see cref="DurableOptions.ReplayAfter"/> to re-send.</item>
/// </list>
/// <para>
/// Why a journal of our own: the grain state lives in Orleans' storage table, whose layout is Orleans'
/// business; the previous repair read it with SQL (and got the key escaping wrong). Recording in our
/// own table costs one statement shared by every grain that commits on the silo at the same moment
/// (group commit), is skipped while the grain already holds a row, and happens before the write, so a
/// crash at any point leaves either no change or a row that leads the replay to it. Forgetting is a
/// batched delete off the reply path. Alternatives weighed: a reminder per pending push (a round trip
/// per command, and reminders are coarse), a trigger or an extra statement in Orleans' write query
/// (hidden coupling to Orleans' storage), and sweeping the ledgers (cannot see a change that never left).
/// </para>
/// For non-reentrant grains (reads may be <c>[AlwaysInterleave]</c> as long as they only read).
/// A subclass that overrides <see cref="OnActivateAsync"/> calls the base.
/// </summary>
public abstract class DurableGrain<TState> : Grain, IDurableGrain, IIncomingGrainCallFilter
    where TState : class, IDurableState, new()
{
    /// <summary>Pushes in flight at once: enough to overlap the targets' writes, bounded to protect the silo.</summary>
    private const int Parallelism = 16;

    private readonly IPersistentState<TState> _storage;
    private readonly Durability _durability;
    private readonly ILogger _logger;
    private IGrainTimer? _retry;
    private int _failedAttempts;
    private long? _intent;      // generation of this grain's journal row while it holds one
    private long _writes;       // state writes by this activation (tells a failure before the write from one after)
    private int _counted;       // pending pushes this activation has added to the silo's outbox-backlog metric

    protected DurableGrain(IPersistentState<TState> storage, Durability durability)
    {
        _storage = storage;
        _durability = durability;
        _logger = durability.Logs.CreateLogger(GetType());
    }

    /// <summary>The grain's state: change it only inside a command, before <see cref="CommitAsync"/>.</summary>
    protected TState State => _storage.State;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Pushes a previous activation wrote but could not deliver. From a timer, never inline: a
        // target may call back into this grain, and no call is delivered before activation completes.
        if (State.Outbox.HasPending) ScheduleRetry(TimeSpan.Zero);
        CountBacklog();
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _durability.Metrics.OutboxChanged(GrainKind, -_counted);
        _counted = 0;
        return Task.CompletedTask;
    }

    private string GrainKind => this.GetGrainId().Type.ToString()!;

    private void CountBacklog()
    {
        _durability.Metrics.OutboxChanged(GrainKind, State.Outbox.Pending.Count - _counted);
        _counted = State.Outbox.Pending.Count;
    }

    /// <summary>Owes <paramref name="target"/> version <paramref name="version"/> of this grain's data (sent by the next commit).</summary>
    protected void Push(string target, long version) => State.Outbox.Stage(target, version);

    /// <summary>Sends <paramref name="target"/> its message, built from the state as it is now; throws if the target did not take it.</summary>
    protected abstract Task SendAsync(string target);

    /// <summary>
    /// Stores the state with its outbox, then sends what is owed. The last step of a command. A
    /// failed push is retried in the background; it fails the command too unless
    /// <paramref name="failOnUndelivered"/> is false (a target acknowledging its own input).
    /// </summary>
    protected async Task CommitAsync(bool failOnUndelivered = true)
    {
        if (State.Outbox.HasPending && _intent is null) _intent = await _durability.Journal.RecordAsync(this.GetGrainId());
        await _storage.WriteStateAsync();
        _writes++;
        OnStored();
        CountBacklog();
        if (await DeliverAsync() is { } failure && failOnUndelivered) ExceptionDispatchInfo.Throw(failure);
    }

    /// <summary>
    /// Stores the state with its outbox like <see cref="CommitAsync"/>, and sends what is owed in a turn of its own
    /// right after (a timer), not before answering: for bulk callers (the ingest fold) that must not wait for every
    /// parent's write. Pushes still owed when the next change comes are sent once, at their newest version (so a
    /// busy parent gets fewer, larger steps). As durable as <see cref="CommitAsync"/>: the journal holds the grain
    /// until its pushes are acknowledged. Deferred deliveries of a silo run at most <see cref="Durability.DeferredSlots"/> at once.
    /// </summary>
    protected async Task CommitDeferredAsync()
    {
        if (State.Outbox.HasPending && _intent is null) _intent = await _durability.Journal.RecordAsync(this.GetGrainId());
        await _storage.WriteStateAsync();
        _writes++;
        OnStored();
        CountBacklog();
        if (State.Outbox.HasPending && _deferred is null)
            _deferred = this.RegisterGrainTimer(async () =>
            {
                _deferred?.Dispose();
                _deferred = null;
                await _durability.DeferredSlots.WaitAsync();
                try { await DeliverAsync(); }
                finally { _durability.DeferredSlots.Release(); }
            }, new GrainTimerCreationOptions(TimeSpan.Zero, Timeout.InfiniteTimeSpan));
    }

    private IGrainTimer? _deferred;

    /// <summary>Runs right after a successful write, before the pushes: where interleaving readers get to see the change.</summary>
    protected virtual void OnStored() { }

    public async Task ResendAsync()
    {
        if (await DeliverAsync(resending: true) is { } failure) ExceptionDispatchInfo.Throw(failure);
    }

    public Task<IReadOnlyDictionary<string, long>> GetPendingAsync() =>
        Task.FromResult<IReadOnlyDictionary<string, long>>(new Dictionary<string, long>(State.Outbox.Pending));

    /// <summary>Sends every owed push; the first failure, or null when the outbox is empty. Re-sends (not a commit's own pushes) are counted.</summary>
    private async Task<Exception?> DeliverAsync(bool resending = false)
    {
        var outbox = State.Outbox;
        Exception? failure = null;
        var owed = outbox.Pending.ToList();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Math.Min(Parallelism, owed.Count)).Select(async _ =>
        {
            for (int i; (i = ++next) < owed.Count;)   // the grain runs one turn at a time: no race on next
            {
                var (target, version) = owed[i];
                try
                {
                    await SendAsync(target);
                    outbox.Acknowledge(target, version);
                    if (resending) _durability.Metrics.RepairResent(GrainKind, 1);
                }
                catch (Exception e) { failure ??= e; }
            }
        }));
        CountBacklog();
        if (outbox.HasPending)
        {
            _failedAttempts++;
            var delay = TimeSpan.FromTicks(Math.Min(_durability.Options.MaxRetryDelay.Ticks,
                _durability.Options.FirstRetryDelay.Ticks << Math.Min(_failedAttempts - 1, 20)));
            _logger.LogWarning(failure, "{Grain}: {Count} push(es) not delivered ({Targets}); retrying in {Delay}",
                this.GetGrainId(), outbox.Pending.Count, string.Join(", ", outbox.Pending.Keys.Take(5)), delay);
            ScheduleRetry(delay);
            return failure;
        }
        _failedAttempts = 0;
        _retry?.Dispose();
        _retry = null;
        if (_intent is { } generation) _durability.Journal.Forget(this.GetGrainId(), generation);
        _intent = null;
        return null;
    }

    private void ScheduleRetry(TimeSpan delay)
    {
        _retry?.Dispose();
        _retry = this.RegisterGrainTimer(async () =>
        {
            _retry?.Dispose();
            _retry = null;
            await DeliverAsync(resending: true);
        }, new GrainTimerCreationOptions(delay, Timeout.InfiniteTimeSpan));
    }

    /// <summary>
    /// Every call to the grain passes here: a failure before the state write was stored (anything
    /// but a domain error) drops the activation, so memory never keeps a change storage does not have.
    /// </summary>
    async Task IIncomingGrainCallFilter.Invoke(IIncomingGrainCallContext context)
    {
        var writes = _writes;
        try { await context.Invoke(); }
        catch (Exception e) when (e is not FlowstateException && writes == _writes && context.InterfaceMethod?.DeclaringType != typeof(IDurableGrain))
        {
            DeactivateOnIdle();
            throw;
        }
    }
}

/// <summary>What every durable grain is given: the silo's journal, the timing, metrics and logging.</summary>
public sealed class Durability(IntentJournal journal, DurableOptions options, FlowstateMetrics metrics, ILoggerFactory logs)
{
    /// <summary>Deferred deliveries (<c>CommitDeferredAsync</c>) in flight at once on this silo: bounds the queues at busy parents.</summary>
    public SemaphoreSlim DeferredSlots { get; } = new(64, 64);

    public IntentJournal Journal { get; } = journal;
    public DurableOptions Options { get; } = options;
    public FlowstateMetrics Metrics { get; } = metrics;
    public ILoggerFactory Logs { get; } = logs;
}
