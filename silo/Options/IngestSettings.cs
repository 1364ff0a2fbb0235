using Flowstate.Ingestion;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Flowstate.Silo.Options;

/// <summary>
/// The ingest path's bounds (<see cref="IngestOptions"/>: append slots, queue, OTLP requests in flight,
/// unfolded items, fold lag, the read-your-writes wait), bound from <c>Flowstate:Ingest</c>
/// (environment: <c>Flowstate__Ingest__MaxAppendsInFlight=16</c>) and validated at start.
/// </summary>
public static class IngestSettings
{
    public const string Section = "Flowstate:Ingest";

    public static IServiceCollection AddFlowstateIngestOptions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<IngestOptions>().Bind(configuration.GetSection(Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<IngestOptions>>(new Validator());
        services.Replace(ServiceDescriptor.Singleton(sp => sp.GetRequiredService<IOptions<IngestOptions>>().Value));
        return services;
    }

    private sealed class Validator : IValidateOptions<IngestOptions>
    {
        public ValidateOptionsResult Validate(string? name, IngestOptions options) =>
            options.Problems(Section).ToList() is { Count: > 0 } found ? ValidateOptionsResult.Fail(found) : ValidateOptionsResult.Success;
    }
}
