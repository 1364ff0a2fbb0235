using Flowstate.Silo.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Flowstate.Silo.Hosting;

/// <summary>
/// Metrics for ops: OpenTelemetry reads the meters below and serves them at <c>/metrics</c> in the
/// Prometheus text format, one scrape per silo (each pod is its own target).
/// </summary>
public static class MetricsHosting
{
    public const string Path = "/metrics";

    /// <summary>
    /// Flowstate's own instruments (<see cref="FlowstateMetrics"/>), Orleans' (grain calls, activations,
    /// membership, storage), Npgsql's (pool and commands), ASP.NET Core's (requests, Kestrel
    /// connections, routing, errors, rate-limit rejections) and the .NET runtime's (GC, thread pool).
    /// </summary>
    public static readonly string[] Meters =
    [
        FlowstateMetrics.MeterName,
        "Microsoft.Orleans",
        "Npgsql",
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.Routing",
        "Microsoft.AspNetCore.Diagnostics",
        "Microsoft.AspNetCore.RateLimiting",
        "System.Runtime",
    ];

    public static IServiceCollection AddFlowstateTelemetry(this IServiceCollection services, FlowstateOptions options)
    {
        services.AddFlowstateMetrics();
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("flowstate", serviceInstanceId: options.SiloName))
            .WithMetrics(m => m.AddMeter(Meters)
                // No response cache: every scrape reads the instruments as they are now (one scraper per pod).
                .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        return services;
    }

    public static IEndpointConventionBuilder MapFlowstateMetrics(this WebApplication app)
    {
        // Created now rather than on first use, so the levels it observes are in the very first scrape.
        app.Services.GetRequiredService<FlowstateMetrics>();
        return app.MapPrometheusScrapingEndpoint(Path);
    }
}
