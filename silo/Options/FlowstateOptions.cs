using System.Net;

namespace Flowstate.Silo.Options;

/// <summary>
/// Host settings, bound from the <c>Flowstate</c> configuration section and the FLOWSTATE_*
/// environment variables (see README). Validated at start: a missing or bad value stops the
/// host with a message naming the setting.
/// </summary>
public sealed class FlowstateOptions
{
    public const string Section = "Flowstate";

    /// <summary>FLOWSTATE_HTTP: the listen URL.</summary>
    public string Http { get; set; } = "http://127.0.0.1:5080";

    /// <summary>FLOWSTATE_DB: Npgsql connection string of the PostgreSQL that holds all state.</summary>
    public string Database { get; set; } = "";

    /// <summary>FLOWSTATE_DEMO: load the demo org into an empty database at start.</summary>
    public bool Demo { get; set; } = true;

    /// <summary>Localhost (one local node) or AdoNet (a multi-silo cluster through PostgreSQL membership).</summary>
    public string Clustering { get; set; } = "Localhost";

    public string ClusterId { get; set; } = "flowstate";
    public string ServiceId { get; set; } = "flowstate";
    public int SiloPort { get; set; } = 11111;
    public int GatewayPort { get; set; } = 30000;

    /// <summary>The IP this silo advertises to others (POD_IP on Kubernetes); AdoNet clustering only.</summary>
    public string? AdvertisedIp { get; set; }

    /// <summary>This silo's name in the membership table and in metrics (POD_NAME on Kubernetes); default: host name and silo port.</summary>
    public string? SiloName { get; set; }

    /// <summary>
    /// How long a stopping silo may drain (SIGTERM, Ctrl-C): in-flight requests finish, grains
    /// deactivate, the silo leaves the membership table. Keep it below Kubernetes'
    /// terminationGracePeriodSeconds.
    /// </summary>
    public int ShutdownSeconds { get; set; } = 30;

    /// <summary>
    /// AdoNet clustering: seconds between membership probes of other silos (also each probe's
    /// timeout). A silo that misses three is suspected, and declared dead once two others agree.
    /// Orleans' default is 5; `./flowstate cluster` uses 2.
    /// </summary>
    public int MembershipProbeSeconds { get; set; } = 5;

    /// <summary>Seconds a grain has to get its pushes acknowledged before the journal replay re-sends them (crash repair).</summary>
    public int ReplayAfterSeconds { get; set; } = 10;

    /// <summary>
    /// FLOWSTATE_OTLP_GRPC_PORT: the port of the OTLP/gRPC receiver (HTTP/2 without TLS, on the host of
    /// FLOWSTATE_HTTP); 0 turns it off. OTLP's usual port is 4317. OTLP/HTTP is always on FLOWSTATE_HTTP.
    /// </summary>
    public int OtlpGrpcPort { get; set; }

    /// <summary>
    /// FLOWSTATE_DB_MAX_CONNECTIONS: the most PostgreSQL connections this silo opens, all pools
    /// together (see <see cref="ConnectionBudget"/>). It replaces any "Maximum Pool Size" in FLOWSTATE_DB.
    /// Three silos at the default stay well inside PostgreSQL's default max_connections of 100.
    /// </summary>
    public int MaxConnections { get; set; } = 20;

    /// <summary>How long a caller waits for a connection when the budget is in use, before STORAGE_UNAVAILABLE.</summary>
    public int ConnectionWaitSeconds { get; set; } = 5;

    /// <summary>The largest OTLP body taken, after decompression (larger is 413).</summary>
    public long OtlpMaxBodyBytes { get; set; } = 16 * 1024 * 1024;

    public IEnumerable<string> Validate()
    {
        if (!Uri.TryCreate(Http, UriKind.Absolute, out var http) || http.Scheme is not ("http" or "https"))
            yield return $"FLOWSTATE_HTTP (Flowstate:Http) must be an absolute http(s) URL, e.g. http://127.0.0.1:5080; got '{Http}'.";
        if (string.IsNullOrWhiteSpace(Database))
            yield return "FLOWSTATE_DB (Flowstate:Database) is required: a PostgreSQL connection string. `./flowstate up` provisions one.";
        else
        {
            string? error = null;
            try { _ = new Npgsql.NpgsqlConnectionStringBuilder(Database); }
            catch (Exception e) { error = e.Message; }
            if (error is not null) yield return $"FLOWSTATE_DB (Flowstate:Database) is not a valid connection string: {error}";
        }
        if (Clustering is not ("Localhost" or "AdoNet"))
            yield return $"Flowstate:Clustering must be Localhost or AdoNet; got '{Clustering}'.";
        if (SiloPort is < 1 or > 65535 || GatewayPort is < 1 or > 65535)
            yield return "Flowstate:SiloPort and Flowstate:GatewayPort must be TCP ports (1-65535).";
        if (AdvertisedIp is not null && !IPAddress.TryParse(AdvertisedIp, out _))
            yield return $"Flowstate:AdvertisedIp must be an IP address; got '{AdvertisedIp}'.";
        if (ShutdownSeconds is < 1 or > 600)
            yield return $"Flowstate:ShutdownSeconds must be 1-600; got {ShutdownSeconds}.";
        if (MembershipProbeSeconds is < 1 or > 60)
            yield return $"Flowstate:MembershipProbeSeconds must be 1-60; got {MembershipProbeSeconds}.";
        if (OtlpGrpcPort is < 0 or > 65535)
            yield return $"FLOWSTATE_OTLP_GRPC_PORT (Flowstate:OtlpGrpcPort) must be a TCP port, or 0 for none; got {OtlpGrpcPort}.";
        if (OtlpMaxBodyBytes is < 1024 or > 1L << 30)
            yield return $"Flowstate:OtlpMaxBodyBytes must be between 1 KiB and 1 GiB; got {OtlpMaxBodyBytes}.";
        if (MaxConnections is < 4 or > 1000)
            yield return $"FLOWSTATE_DB_MAX_CONNECTIONS (Flowstate:MaxConnections) must be 4-1000; got {MaxConnections}.";
        if (ConnectionWaitSeconds is < 1 or > 120)
            yield return $"Flowstate:ConnectionWaitSeconds must be 1-120; got {ConnectionWaitSeconds}.";
        if (ReplayAfterSeconds is < 1 or > 3600)
            yield return "Flowstate:ReplayAfterSeconds must be between 1 and 3600.";
    }

    /// <summary>Reads configuration plus the FLOWSTATE_* variables; throws naming every bad setting.</summary>
    public static FlowstateOptions Load(IConfiguration configuration)
    {
        var options = configuration.GetSection(Section).Get<FlowstateOptions>() ?? new FlowstateOptions();
        if (configuration["FLOWSTATE_HTTP"] is { Length: > 0 } http) options.Http = http;
        if (configuration["FLOWSTATE_DB"] is { Length: > 0 } db) options.Database = db;
        if (configuration["FLOWSTATE_DEMO"] is { Length: > 0 } demo) options.Demo = demo is not ("0" or "false" or "no");
        if (configuration["FLOWSTATE_DB_MAX_CONNECTIONS"] is { Length: > 0 } max)
            options.MaxConnections = int.TryParse(max, out var m) ? m : -1;
        if (configuration["FLOWSTATE_OTLP_GRPC_PORT"] is { Length: > 0 } grpc)
            options.OtlpGrpcPort = int.TryParse(grpc, out var port) ? port : -1;
        if (configuration["POD_IP"] is { Length: > 0 } podIp) options.AdvertisedIp ??= podIp;
        if (configuration["POD_NAME"] is { Length: > 0 } podName) options.SiloName ??= podName;
        options.SiloName ??= $"{Environment.MachineName}-{options.SiloPort}";
        var errors = options.Validate().ToList();
        if (errors.Count > 0) throw new InvalidOperationException("Flowstate cannot start:\n  - " + string.Join("\n  - ", errors));
        return options;
    }

    /// <summary>This silo's PostgreSQL connections, split between Orleans and the read models.</summary>
    public ConnectionBudget Connections => ConnectionBudget.Of(Database, MaxConnections, ConnectionWaitSeconds);
}
