using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Flowstate.Telemetry.Receivers;

/// <summary>Registers and maps the OTLP receivers (HTTP on the host's port, gRPC on its own).</summary>
public static class OtlpReceivers
{
    public static IServiceCollection AddOtlpReceivers(this IServiceCollection services, OtlpOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton<OtlpIngest>();
        services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = (int)Math.Min(options.MaxBodyBytes, int.MaxValue);
            o.EnableDetailedErrors = false;
        });
        return services;
    }

    /// <summary>The gRPC export services, answered only on <paramref name="port"/> (the HTTP/2 endpoint for gRPC).</summary>
    public static IEndpointConventionBuilder[] MapOtlpGrpc(this IEndpointRouteBuilder app, int port) =>
    [
        app.MapGrpcService<OtlpLogsService>().RequireHost($"*:{port}"),
        app.MapGrpcService<OtlpMetricsService>().RequireHost($"*:{port}"),
        app.MapGrpcService<OtlpTraceService>().RequireHost($"*:{port}"),
    ];
}
