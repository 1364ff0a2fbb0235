namespace Flowstate;

/// <summary>
/// The time the domain runs on (deferral returns, audit timestamps, ingest checks). Separate from
/// the host's <see cref="TimeProvider"/>, which Orleans itself uses for membership and timers, so
/// that tests can move business time without confusing the cluster.
/// </summary>
public sealed class BusinessClock(TimeProvider time)
{
    public static readonly BusinessClock System = new(TimeProvider.System);

    public DateTimeOffset GetUtcNow() => time.GetUtcNow();
}
