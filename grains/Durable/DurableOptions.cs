namespace Flowstate.Durable;

/// <summary>Timing of the durable-command component (see <see cref="DurableGrain{TState}"/>).</summary>
public sealed class DurableOptions
{
    /// <summary>How long a grain has to get its pushes acknowledged before the journal replay steps in.</summary>
    public TimeSpan ReplayAfter { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often each silo looks for due journal rows (half of <see cref="ReplayAfter"/>).</summary>
    public TimeSpan ReplayEvery => ReplayAfter / 2;

    /// <summary>How long a claimed row stays hidden from other silos' replays.</summary>
    public TimeSpan ClaimFor => ReplayAfter * 3;

    /// <summary>The longest wait between two attempts at a push that keeps failing.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The first wait before a grain retries a failed push itself (doubling up to <see cref="MaxRetryDelay"/>).</summary>
    public TimeSpan FirstRetryDelay { get; init; } = TimeSpan.FromSeconds(1);
}
