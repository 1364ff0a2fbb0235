using Flowstate.Domain;
using Flowstate.Storage;
using Orleans.Concurrency;

namespace Flowstate.Attribution;

/// <summary>
/// One scope's month of usage (see <see cref="IRollupGrain"/>). Its durable form is the
/// <c>rollup_contrib</c> rows (version-guarded); in memory it keeps the contributions and the
/// month totals, rebuilt from the table on activation. Calls no grain.
/// <para>
/// Reentrant so that pushes arriving while a write is in flight are group-committed in the next
/// one (with every other rollup's of the silo, see <see cref="RollupStore.WriteAsync"/>): each push
/// updates memory in one synchronous step, then waits until its row is durable. A failed write
/// deactivates the grain so memory is reloaded.
/// </para>
/// </summary>
[GrainType("rollup"), Reentrant]
public sealed class RollupGrain : Grain, IRollupGrain
{
    private readonly RollupStore _store;
    private string _org = "", _scope = "";
    private RollupIndex _index = null!;

    public RollupGrain(RollupStore store)
    {
        _store = store;
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var parts = this.GetPrimaryKeyString().Split('/').Select(Uri.UnescapeDataString).ToArray();
        (_org, _scope) = (parts[0], parts[1]);
        _index = new RollupIndex(Period.Parse(parts[2]));
        foreach (var c in await _store.LoadAsync(_org, _scope, _index.Month)) _index.Apply(c);
    }

    public async Task ApplyAsync(Contribution contribution)
    {
        if (!_index.Apply(contribution)) return;
        try { await _store.WriteAsync(_org, _scope, _index.Month, contribution); }
        catch
        {
            DeactivateOnIdle();
            throw;
        }
    }

    public Task<RollupSlice?> SummarizeAsync(SliceQuery query, long knownVersion) =>
        Task.FromResult(knownVersion == _index.Version ? null : _index.Summarize(query));

    public Task<RollupSize> GetSizeAsync() => Task.FromResult(new RollupSize(_index.Subjects, _index.Cells));
}
