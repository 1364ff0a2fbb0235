namespace Flowstate.Durable;

/// <summary>
/// A grain whose commands push to other grains through the durable-command component
/// (<c>grains/Durable/DurableGrain.cs</c>). The journal replay calls it for grains that may still
/// hold a push their target has not acknowledged (a silo died between the state write and the push).
/// </summary>
[Alias("Flowstate.IDurableGrain")]
public interface IDurableGrain : IGrainWithStringKey
{
    /// <summary>Sends every pending push now; throws when one fails. Idempotent: targets keep the newest version.</summary>
    [Alias("Resend")] Task ResendAsync();

    /// <summary>The targets still waiting for a push, with the version each must reach (operators, tests).</summary>
    [Alias("GetPending"), Orleans.Concurrency.AlwaysInterleave] Task<IReadOnlyDictionary<string, long>> GetPendingAsync();
}
