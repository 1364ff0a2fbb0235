using Flowstate.GraphQL.Schema;
using Flowstate.Silo.Hosting;
using Flowstate.Silo.Identity;
using Flowstate.Silo.Options;
using Microsoft.Extensions.Options;

// Verbs: (none) or "serve" runs the silo; "migrate" applies the schema scripts and exits;
// "cluster [N]" runs N silos as one local cluster; "probe [url]" asks a running silo for /healthz
// (the container's health check); "schema" prints the GraphQL SDL (no database needed: the web
// build checks its operations against it); "token …" prints a development token (see TokenVerb).
var verb = args.FirstOrDefault(a => !a.StartsWith('-')) ?? "serve";
if (verb == "probe") return await HealthProbe.RunAsync(args.Skip(1).FirstOrDefault());
if (verb == "schema")
{
    Console.Write(FlowstateSchema.PrintSdl());
    return 0;
}
// The content root is the build output, so appsettings.json (logging levels, defaults) applies
// from whatever directory the silo is started in (./flowstate runs it from the repository root).
var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    // The token verb's options are its own, not configuration.
    Args = verb == "token" ? [] : args.Where(a => a != verb && (a.StartsWith('-') || a.Contains('='))).ToArray(),
    ContentRootPath = AppContext.BaseDirectory,
});
FlowstateOptions options;
try { options = FlowstateOptions.Load(builder.Configuration); }
catch (InvalidOperationException e) { Console.Error.WriteLine(e.Message); return 2; }

switch (verb)
{
    case "token":
        var identity = builder.Configuration.GetSection(IdentityOptions.Section).Get<IdentityOptions>() ?? new IdentityOptions();
        return await TokenVerb.RunAsync(args.SkipWhile(a => a != "token").Skip(1).ToList(), options.Database, identity, builder.Environment.IsDevelopment());
    case "migrate":
        await SchemaMigrator.EnsureDatabaseAsync(options.Database);
        foreach (var script in await SchemaMigrator.ApplyAsync(options.Database)) Console.WriteLine($"applied {script}");
        return 0;
    case "cluster":
        // cluster [N]: N silo processes of this binary on one database, silo i on every port + i.
        var count = args.Skip(1).FirstOrDefault(a => !a.StartsWith('-')) is { } n ? int.Parse(n) : 3;
        if (count is < 1 or > 9) { Console.Error.WriteLine("cluster N: N must be 1-9."); return 2; }
        return await LocalCluster.RunAsync(new LocalClusterOptions
        {
            Database = options.Database, Http = new Uri(options.Http), SiloPort = options.SiloPort, GatewayPort = options.GatewayPort,
            ClusterId = options.ClusterId, Demo = options.Demo,
        }, count, TimeSpan.FromSeconds(options.ShutdownSeconds + 15));
    case "serve":
        var app = builder.AddFlowstate(options).Build();
        // Validated before the pipeline is built, which reads some of the settings.
        try { app.Services.GetRequiredService<IStartupValidator>().Validate(); }
        catch (OptionsValidationException e)
        {
            // A setting validated at start (ValidateOnStart) is missing or bad: say which, without a stack trace.
            Console.Error.WriteLine("Flowstate cannot start:\n  - " + string.Join("\n  - ", e.Failures));
            return 2;
        }
        app.MapFlowstate(options);
        await app.RunAsync();
        return 0;
    default:
        Console.Error.WriteLine($"Unknown verb '{verb}'. Use: serve | migrate | cluster [N] | probe [url] | schema | {TokenVerb.Usage}");
        return 2;
}

public partial class Program;
