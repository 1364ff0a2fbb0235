using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Storage;

namespace Flowstate.Storage;

/// <summary>
/// Grain storage whose failures are Flowstate's own exceptions (<see cref="StorageExceptionFilter.Translate"/>):
/// a grain that cannot load or store its state fails its caller with STORAGE_UNAVAILABLE (retry) or a
/// refusal (do not), on whichever silo the caller is, instead of the driver's exception wrapped by Orleans.
/// </summary>
public sealed class TranslatingGrainStorage(IGrainStorage inner) : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        Translated(() => inner.ReadStateAsync(stateName, grainId, grainState));

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        Translated(() => inner.WriteStateAsync(stateName, grainId, grainState));

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        Translated(() => inner.ClearStateAsync(stateName, grainId, grainState));

    public void Participate(ISiloLifecycle lifecycle) => (inner as ILifecycleParticipant<ISiloLifecycle>)?.Participate(lifecycle);

    private static async Task Translated(Func<Task> operation)
    {
        try { await operation(); }
        catch (Exception e) when (StorageExceptionFilter.TranslateAny(e) is { } translated) { throw translated; }
    }

    /// <summary>Puts the translation in front of the grain storage registered as <paramref name="name"/>.</summary>
    public static void Decorate(IServiceCollection services, string name)
    {
        var original = services.Last(d => d.ServiceType == typeof(IGrainStorage) && Equals(d.ServiceKey, name));
        services.AddKeyedSingleton<IGrainStorage>(name, (sp, key) => new TranslatingGrainStorage((IGrainStorage)original.KeyedImplementationFactory!(sp, key)));
    }
}
