using Flowstate.Silo.Hosting;
using Flowstate.Silo.Options;

// Verbs: (none) or "serve" runs the silo; "migrate" applies the schema scripts and exits.
var verb = args.FirstOrDefault(a => !a.StartsWith('-')) ?? "serve";
// The content root is the build output, so appsettings.json (logging levels, defaults) applies
// from whatever directory the silo is started in (./flowstate runs it from the repository root).
var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = args.Where(a => a != verb).ToArray(),
    ContentRootPath = AppContext.BaseDirectory,
});
FlowstateOptions options;
try { options = FlowstateOptions.Load(builder.Configuration); }
catch (InvalidOperationException e) { Console.Error.WriteLine(e.Message); return 2; }

switch (verb)
{
    case "migrate":
        await SchemaMigrator.EnsureDatabaseAsync(options.Database);
        foreach (var script in await SchemaMigrator.ApplyAsync(options.Database)) Console.WriteLine($"applied {script}");
        return 0;
    case "serve":
        var app = builder.AddFlowstate(options).Build();
        app.MapFlowstate(options);
        await app.RunAsync();
        return 0;
    default:
        Console.Error.WriteLine($"Unknown verb '{verb}'. Use: serve | migrate");
        return 2;
}

public partial class Program;
