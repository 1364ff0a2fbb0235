namespace Flowstate.Silo.Hosting;

/// <summary>
/// Where the demo load stands, for <c>/readyz</c> (503 until it is done, so nobody's first query
/// answers zeros) and the startup banner. Without the demo it is ready at once.
/// </summary>
public sealed class DemoStatus
{
    private volatile string? _notReady;

    public DemoStatus(bool demo) => _notReady = demo ? "waiting for the silo to load the demo data" : null;

    /// <summary>Null when ready; else why not (loading, or the load failed).</summary>
    public string? NotReady => _notReady;

    public void Loading(string what) => _notReady = what;
    public void Loaded() => _notReady = null;
    public void Failed(string why) => _notReady = "the demo load failed: " + why;
}
