using Flowstate.GraphQL.Schema;
using Flowstate.Silo.Hosting;
using Flowstate.Silo.Options;

// Verbs: (none) or "serve" runs the silo; "migrate" applies the schema scripts and exits;
// "schema" prints the GraphQL SDL (no database needed: the web build checks its operations against it).
var verb = args.FirstOrDefault(a => !a.StartsWith('-')) ?? "serve";
if (verb == "schema")
{
    Console.Write(FlowstateSchema.PrintSdl());
    return 0;
}
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
        Console.Error.WriteLine($"Unknown verb '{verb}'. Use: serve | migrate | schema");
        return 2;
}

public partial class Program;
