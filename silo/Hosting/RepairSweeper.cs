using Flowstate.Reconciliation;
using Flowstate.Silo.Options;
using Flowstate.Usage;
using Npgsql;

namespace Flowstate.Silo.Hosting;

/// <summary>
/// Crash repair for pushes. A grain writes its state and pending pushes together, then pushes;
/// a silo that dies between the two leaves grains whose stored state is newer than anything
/// their period received. This sweep finds exactly those (storage <c>modifiedon</c> later than
/// the ledger's <c>pushed_at</c>) and activates them, which re-sends the pending push. It runs
/// once at start over the last day and then periodically over a short window.
/// </summary>
public sealed class RepairSweeper(NpgsqlDataSource db, IGrainFactory grains, FlowstateOptions options, ILogger<RepairSweeper> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var window = TimeSpan.FromDays(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try { await SweepAsync(window, stoppingToken); }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested) { logger.LogWarning(e, "Repair sweep failed; will retry"); }
            window = TimeSpan.FromSeconds(options.RepairSweepSeconds * 3);
            await Task.Delay(TimeSpan.FromSeconds(options.RepairSweepSeconds), stoppingToken);
        }
    }

    /// <summary>Re-sends every pending push written within <paramref name="window"/>; how many grains were repaired.</summary>
    public async Task<int> SweepAsync(TimeSpan window, CancellationToken ct = default)
    {
        var rows = await StaleAsync("""
            select s.grainidextensionstring from orleans_grain_state s
            where s.graintypestring = 'billing-row' and s.serviceid = $1 and s.modifiedon > now() - $2 and s.payloadbinary is not null
              and s.modifiedon > coalesce((select max(l.pushed_at) from recon_ledger l
                    where l.row_id = substr(s.grainidextensionstring, strpos(s.grainidextensionstring, '/') + 1)
                      and l.org = split_part(s.grainidextensionstring, '/', 1)), '-infinity')
            """, window, ct);
        var partitions = await StaleAsync("""
            select s.grainidextensionstring from orleans_grain_state s
            where s.graintypestring = 'usage-partition' and s.serviceid = $1 and s.modifiedon > now() - $2 and s.payloadbinary is not null
              and s.grainidextensionstring not like '%/k\%3A%'
              and s.modifiedon > coalesce((select max(o.pushed_at) from period_observed o
                    where o.partition_id = substr(s.grainidextensionstring, strpos(s.grainidextensionstring, '/') + 1)
                      and o.org = split_part(s.grainidextensionstring, '/', 1)), '-infinity')
            """, window, ct);
        foreach (var chunk in rows.Chunk(64))
            await Task.WhenAll(chunk.Select(k => grains.GetGrain<IBillingRowGrain>(k).EnsurePushedAsync()));
        foreach (var chunk in partitions.Chunk(64))
            await Task.WhenAll(chunk.Select(k => grains.GetGrain<IUsagePartitionGrain>(k).EnsurePushedAsync()));
        if (rows.Count + partitions.Count > 0)
            logger.LogInformation("Repair sweep re-sent pushes of {Rows} row(s) and {Partitions} partition(s)", rows.Count, partitions.Count);
        return rows.Count + partitions.Count;
    }

    private async Task<List<string>> StaleAsync(string sql, TimeSpan window, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand(sql);
        cmd.Parameters.AddWithValue(options.ServiceId);
        cmd.Parameters.AddWithValue(window);
        var keys = new List<string>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) keys.Add(r.GetString(0));
        return keys;
    }
}
