using System.Net;
using Flowstate.GraphQL.Types;
using Flowstate.Silo.Identity;
using Flowstate.Silo.Options;
using Flowstate.Telemetry.Receivers;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Flowstate.Silo.Hosting;

/// <summary>
/// Agent telemetry (DESIGN §9): the OTLP/HTTP receivers on the host's own port, and OTLP/gRPC on
/// <see cref="FlowstateOptions.OtlpGrpcPort"/> (HTTP/2 without TLS needs an endpoint of its own).
/// </summary>
public static class TelemetryHosting
{
    public static WebApplicationBuilder AddFlowstateOtlp(this WebApplicationBuilder builder, FlowstateOptions options)
    {
        builder.Services.AddOtlpReceivers(new OtlpOptions
        {
            MaxBodyBytes = options.OtlpMaxBodyBytes,
            // The endpoints require the ingest policy, so a caller is always there: its org, and its person as the subject.
            Caller = http => FlowstateUserContext.FromClaims(http.User) is { } caller
                ? new TelemetryCaller(caller.Org, caller.Person)
                : throw new InvalidOperationException("OTLP request without a verified caller."),
        });
        if (options.OtlpGrpcPort > 0)
        {
            // Listening explicitly replaces UseUrls, so the HTTP endpoint is declared here as well.
            var http = new Uri(options.Http);
            builder.WebHost.ConfigureKestrel(k =>
            {
                Listen(k, http.Host, http.Port, o => { if (http.Scheme == "https") o.UseHttps(); });
                Listen(k, http.Host, options.OtlpGrpcPort, o => o.Protocols = HttpProtocols.Http2);
            });
        }
        return builder;
    }

    public static WebApplication MapFlowstateOtlp(this WebApplication app, FlowstateOptions options)
    {
        // Standard ASP.NET Core authorization: role ingest (or admin), from a token or an ingest key.
        app.MapOtlpHttp().RequireAuthorization(IdentityHosting.IngestPolicy);
        if (options.OtlpGrpcPort > 0)
            foreach (var service in app.MapOtlpGrpc(options.OtlpGrpcPort)) service.RequireAuthorization(IdentityHosting.IngestPolicy);
        return app;
    }

    private static void Listen(KestrelServerOptions kestrel, string host, int port, Action<ListenOptions> configure)
    {
        if (host is "localhost") kestrel.ListenLocalhost(port, configure);
        else if (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && !ip.Equals(IPAddress.Any) && !ip.Equals(IPAddress.IPv6Any)) kestrel.Listen(ip, port, configure);
        else kestrel.ListenAnyIP(port, configure);
    }
}
