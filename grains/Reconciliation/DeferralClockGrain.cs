using Flowstate.Storage;
using Microsoft.Extensions.Logging;

namespace Flowstate.Reconciliation;

/// <summary>
/// Returns deferred rows once their next period begins (see <see cref="IDeferralClockGrain"/>).
/// Stateless apart from its reminder: what is due is read from the ledger, so nothing is lost
/// across restarts. It calls rows; rows never call it.
/// </summary>
[GrainType("deferral-clock")]
public sealed class DeferralClockGrain(ReconLedgerStore ledger, BusinessClock clock, ILogger<DeferralClockGrain> logger)
    : Grain, IDeferralClockGrain, IRemindable
{
    private const string ReminderName = "deferral-tick";
    private static readonly TimeSpan Tick = TimeSpan.FromMinutes(1);
    private bool _started;

    public async Task StartAsync()
    {
        if (_started) return;
        await this.RegisterOrUpdateReminder(ReminderName, Tick, Tick);
        _started = true;
    }

    public async Task<int> ReturnDueAsync()
    {
        var org = this.GetPrimaryKeyString();
        var due = await ledger.DueDeferralsAsync(org, Period.Of(clock.GetUtcNow()));
        foreach (var chunk in due.Chunk(32))
            await Task.WhenAll(chunk.Select(id => GrainFactory.GetGrain<IBillingRowGrain>(GrainKeys.Row(org, id)).ReturnIfDueAsync()));
        if (due.Count > 0) logger.LogInformation("Returned {Count} deferred row(s) of org {Org}", due.Count, org);
        return due.Count;
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) => ReturnDueAsync();
}
