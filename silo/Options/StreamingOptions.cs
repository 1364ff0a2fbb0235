using Flowstate.GraphQL.Subscriptions;
using Flowstate.GraphQL.Transport;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Flowstate.Silo.Options;

/// <summary>
/// The GraphQL WebSocket's limits, bound from <c>Flowstate:WebSocket</c> (environment:
/// <c>Flowstate__WebSocket__KeepAlive=00:00:20</c>) and validated at start; the defaults are the
/// transport's (<see cref="GraphQLWebSocketOptions"/>).
/// </summary>
public sealed class WebSocketSettings
{
    public const string Section = "Flowstate:WebSocket";
    private static readonly GraphQLWebSocketOptions Defaults = new();

    /// <summary>How long a client may take to send connection_init (4408 after).</summary>
    public TimeSpan ConnectionInitTimeout { get; set; } = Defaults.ConnectionInitTimeout;
    /// <summary>Interval between server pings once acknowledged; zero disables them.</summary>
    public TimeSpan KeepAlive { get; set; } = Defaults.KeepAlive;
    public int MaxMessageBytes { get; set; } = Defaults.MaxMessageBytes;
    public int MaxSubscriptionsPerConnection { get; set; } = Defaults.MaxSubscriptionsPerConnection;
    /// <summary>Messages, and bytes, a connection may have waiting to be sent before it is closed as a slow consumer (1008).</summary>
    public int MaxQueuedMessages { get; set; } = Defaults.MaxQueuedMessages;
    public long MaxQueuedBytes { get; set; } = Defaults.MaxQueuedBytes;
    /// <summary>How often an open connection's credentials are checked again: a revoked key, a signed-out session or an expired token closes it (4403) within this.</summary>
    public TimeSpan RecheckInterval { get; set; } = Defaults.RecheckInterval;

    /// <summary>These settings on the transport's options (whose hooks the host sets).</summary>
    public GraphQLWebSocketOptions ApplyTo(GraphQLWebSocketOptions options)
    {
        options.ConnectionInitTimeout = ConnectionInitTimeout;
        options.KeepAlive = KeepAlive;
        options.MaxMessageBytes = MaxMessageBytes;
        options.MaxSubscriptionsPerConnection = MaxSubscriptionsPerConnection;
        options.MaxQueuedMessages = MaxQueuedMessages;
        options.MaxQueuedBytes = MaxQueuedBytes;
        options.RecheckInterval = RecheckInterval;
        return options;
    }

    public IEnumerable<string> Problems()
    {
        if (ConnectionInitTimeout <= TimeSpan.Zero || ConnectionInitTimeout > TimeSpan.FromMinutes(1))
            yield return $"{Section}:ConnectionInitTimeout must be above 0 and at most 00:01:00; got {ConnectionInitTimeout}.";
        if (KeepAlive < TimeSpan.Zero || KeepAlive > TimeSpan.FromMinutes(10))
            yield return $"{Section}:KeepAlive must be 00:00:00 (off) to 00:10:00; got {KeepAlive}.";
        if (MaxMessageBytes is < 1024 or > 16 * 1024 * 1024)
            yield return $"{Section}:MaxMessageBytes must be 1024-16777216; got {MaxMessageBytes}.";
        if (MaxSubscriptionsPerConnection is < 1 or > 10_000)
            yield return $"{Section}:MaxSubscriptionsPerConnection must be 1-10000; got {MaxSubscriptionsPerConnection}.";
        if (MaxQueuedMessages is < 1 or > 1_000_000)
            yield return $"{Section}:MaxQueuedMessages must be 1-1000000; got {MaxQueuedMessages}.";
        if (MaxQueuedBytes is < 64 * 1024 or > 1L << 30)
            yield return $"{Section}:MaxQueuedBytes must be 65536-1073741824; got {MaxQueuedBytes}.";
        if (RecheckInterval < TimeSpan.FromSeconds(1) || RecheckInterval > TimeSpan.FromMinutes(10))
            yield return $"{Section}:RecheckInterval must be 00:00:01 to 00:10:00; got {RecheckInterval}.";
    }
}

public static class StreamingOptions
{
    /// <summary>The subscription feeds' settings (<see cref="SubscriptionOptions"/>), bound from <c>Flowstate:Subscriptions</c>.</summary>
    public const string SubscriptionsSection = "Flowstate:Subscriptions";

    /// <summary>Binds and validates at start the WebSocket and subscription settings; the GraphQL layer then gets the bound <see cref="SubscriptionOptions"/>.</summary>
    public static IServiceCollection AddFlowstateStreamingOptions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<WebSocketSettings>().Bind(configuration.GetSection(WebSocketSettings.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<WebSocketSettings>>(new ProblemsValidator<WebSocketSettings>(s => s.Problems()));
        services.AddOptions<SubscriptionOptions>().Bind(configuration.GetSection(SubscriptionsSection)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SubscriptionOptions>>(new ProblemsValidator<SubscriptionOptions>(Problems));
        services.Replace(ServiceDescriptor.Singleton(sp => sp.GetRequiredService<IOptions<SubscriptionOptions>>().Value));
        return services;
    }

    private static IEnumerable<string> Problems(SubscriptionOptions o)
    {
        if (o.GapWait < TimeSpan.Zero || o.GapWait > TimeSpan.FromSeconds(10))
            yield return $"{SubscriptionsSection}:GapWait must be 00:00:00-00:00:10; got {o.GapWait}.";
        if (o.ReplayPage is < 1 or > 10_000)
            yield return $"{SubscriptionsSection}:ReplayPage must be 1-10000; got {o.ReplayPage}.";
        if (o.MaxHeld is < 1 or > 10_000_000)
            yield return $"{SubscriptionsSection}:MaxHeld must be 1-10000000; got {o.MaxHeld}.";
    }
}
