using Microsoft.AspNetCore.Http;

namespace Flowstate.Telemetry.Receivers;

/// <summary>Who sent an export: the org it is for, and the subject of its ingest key (when the key names one).</summary>
public readonly record struct TelemetryCaller(string Org, string? Subject);

/// <summary>Settings of the OTLP receivers (bound by the silo from Flowstate:Otlp*).</summary>
public sealed class OtlpOptions
{
    /// <summary>Largest body taken, after decompression (OTLP recommends a limit; larger is 413).</summary>
    public long MaxBodyBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>How long a client may take to send its body: a stuck client is cut off, never waited for.</summary>
    public TimeSpan BodyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Who the request is from: set by the host from its authentication (the ingest key's org and subject).</summary>
    public Func<HttpContext, TelemetryCaller> Caller { get; set; } = _ => new TelemetryCaller("demo", null);
}
