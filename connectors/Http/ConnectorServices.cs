using System.Threading.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Flowstate.Connectors.Providers;

namespace Flowstate.Connectors.Http;

public static class ConnectorServices
{
    public static string ClientName(ConnectorKind kind) => $"connector-{ConnectorException.Name(kind)}";

    /// <summary>
    /// The four connectors with one named HttpClient each: the standard resilience pipeline
    /// (attempt and total timeouts, exponential retries with jitter on 5xx, 408, 429 and timeouts
    /// honouring Retry-After, a circuit breaker per provider host, a rate limit per kind) and a
    /// log line per attempt.
    /// </summary>
    public static IServiceCollection AddConnectors(this IServiceCollection services, Action<ConnectorHttpOptions>? configure = null)
    {
        var options = services.AddOptions<ConnectorHttpOptions>();
        if (configure is not null) options.Configure(configure);
        services.AddLogging();
        services.TryAddSingleton(TimeProvider.System);
        foreach (var kind in Enum.GetValues<ConnectorKind>())
        {
            var client = services.AddHttpClient(ClientName(kind));
            client.AddStandardResilienceHandler()
                .Configure((HttpStandardResilienceOptions o, IServiceProvider sp) => Configure(o, kind, sp))
                .SelectPipelineByAuthority();
            // Added after the pipeline, so inside it: every attempt, retries included, is logged.
            client.AddHttpMessageHandler(sp => new RequestLogHandler(kind, sp.GetRequiredService<ILoggerFactory>().CreateLogger("Flowstate.Connectors.Http")));
        }
        services.AddSingleton<ProviderHttp>();
        services.AddSingleton<IConnector, OpenAiConnector>();
        services.AddSingleton<IConnector, AnthropicConnector>();
        services.AddSingleton<IConnector, CursorConnector>();
        services.AddSingleton<IConnector, CopilotConnector>();
        services.AddSingleton<ConnectorCatalog>();
        return services;
    }

    private static void Configure(HttpStandardResilienceOptions o, ConnectorKind kind, IServiceProvider sp)
    {
        var settings = sp.GetRequiredService<IOptions<ConnectorHttpOptions>>().Value;
        var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("Flowstate.Connectors.Http");
        o.AttemptTimeout.Timeout = settings.AttemptTimeout;
        o.TotalRequestTimeout.Timeout = settings.TotalTimeout;
        o.Retry.MaxRetryAttempts = settings.MaxRetries;
        o.Retry.Delay = settings.RetryDelay;
        o.Retry.BackoffType = DelayBackoffType.Exponential;
        o.Retry.UseJitter = true;
        o.Retry.ShouldRetryAfterHeader = true;
        o.Retry.OnRetry = args =>
        {
            logger.LogWarning("{Provider} retry {Attempt} in {Delay:0} ms after {Outcome}", ConnectorException.Name(kind), args.AttemptNumber + 1,
                args.RetryDelay.TotalMilliseconds, args.Outcome.Result is { } r ? $"HTTP {(int)r.StatusCode}" : args.Outcome.Exception?.GetType().Name);
            return default;
        };
        // The breaker samples at least two attempt timeouts (the options validator requires it).
        o.CircuitBreaker.SamplingDuration = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(30).Ticks, settings.AttemptTimeout.Ticks * 2 + 1));
        if (settings.RequestsPerMinute.TryGetValue(kind, out var perMinute) && perMinute > 0)
        {
            var limiter = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = perMinute, TokensPerPeriod = perMinute, ReplenishmentPeriod = TimeSpan.FromMinutes(1),
                QueueLimit = int.MaxValue, QueueProcessingOrder = QueueProcessingOrder.OldestFirst, AutoReplenishment = true,
            });
            o.RateLimiter.RateLimiter = args => limiter.AcquireAsync(1, args.Context.CancellationToken);
        }
    }
}

/// <summary>The connectors by kind.</summary>
public sealed class ConnectorCatalog(IEnumerable<IConnector> connectors)
{
    private readonly Dictionary<ConnectorKind, IConnector> _byKind = connectors.ToDictionary(c => c.Kind);

    public IConnector this[ConnectorKind kind] => _byKind[kind];
}
