using Microsoft.AspNetCore.Http;
using GraphQL.Transport;

namespace Flowstate.GraphQL.Transport;

public sealed class GraphQLWebSocketOptions
{
    /// <summary>Close code for a client that does not read what it subscribed to (RFC 6455 1008, policy violation).</summary>
    public const int SlowConsumerCloseCode = 1008;

    public TimeSpan ConnectionInitTimeout { get; set; } = TimeSpan.FromSeconds(3);
    /// <summary>Interval between server <c>ping</c> messages once acknowledged; zero or negative disables them.</summary>
    public TimeSpan KeepAlive { get; set; } = TimeSpan.FromSeconds(12);
    public int MaxMessageBytes { get; set; } = 1024 * 1024;
    public int MaxSubscriptionsPerConnection { get; set; } = 100;

    /// <summary>
    /// Messages a connection may have waiting to be sent. A client that lets more pile up is closed
    /// with <see cref="SlowConsumerCloseCode"/>; it loses nothing it cannot get back, since it can
    /// resume a subscription from the cursor of the last event it processed.
    /// </summary>
    public int MaxQueuedMessages { get; set; } = 1024;

    /// <summary>Bytes a connection may have waiting to be sent; beyond that, as for <see cref="MaxQueuedMessages"/>.</summary>
    public long MaxQueuedBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// Decides on <c>connection_init</c>, given its payload (null when absent), whether the connection
    /// may proceed: false (or a throw) closes it with 4403 Forbidden; a <see cref="WebSocketRefusedException"/>
    /// closes it with that exception's code instead. Null accepts every connection.
    /// </summary>
    public Func<HttpContext, IReadOnlyDictionary<string, object?>?, ValueTask<bool>>? OnConnect { get; set; }

    /// <summary>How often an acknowledged connection's credentials are checked again (see <see cref="StillAuthorized"/>).</summary>
    public TimeSpan RecheckInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Asked every <see cref="RecheckInterval"/> once acknowledged whether the credentials the
    /// connection was accepted with still hold (a revoked key, an ended session, an expired token
    /// do not): false closes it with 4403 Forbidden; a throw (storage unreachable, say) decides
    /// nothing and is asked again next time. Null never rechecks.
    /// </summary>
    public Func<HttpContext, ValueTask<bool>>? StillAuthorized { get; set; }

    /// <summary>
    /// Says whether an operation may join an identical one already running on this silo (see
    /// <see cref="SharedSubscriptions"/>, which must be registered): null runs it on its own. Only
    /// subscriptions whose events do not depend on when a member joins are safe to share.
    /// </summary>
    public Func<HttpContext, GraphQLRequest, SubscriptionShare?>? Share { get; set; }
}

/// <summary>Thrown by <see cref="GraphQLWebSocketOptions.OnConnect"/> to refuse a connection with a close code of its own (e.g. 4429, too many connections).</summary>
public sealed class WebSocketRefusedException(int closeCode, string reason) : Exception(reason)
{
    public int CloseCode { get; } = closeCode;
}
