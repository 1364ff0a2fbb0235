using Flowstate.Attribution;
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
        var subjectMonths = await StaleSubjectMonthsAsync(window, ct);
        foreach (var chunk in rows.Chunk(64))
            await Task.WhenAll(chunk.Select(k => grains.GetGrain<IBillingRowGrain>(k).EnsurePushedAsync()));
        foreach (var chunk in partitions.Chunk(64))
            await Task.WhenAll(chunk.Select(k => grains.GetGrain<IUsagePartitionGrain>(k).EnsurePushedAsync()));
        foreach (var chunk in subjectMonths.Chunk(64))
            await Task.WhenAll(chunk.Select(k => grains.GetGrain<ISubjectMonthGrain>(k).EnsurePushedAsync()));
        var repaired = rows.Count + partitions.Count + subjectMonths.Count;
        if (repaired > 0)
            logger.LogInformation("Repair sweep re-sent pushes of {Rows} row(s), {Partitions} partition(s) and {SubjectMonths} subject-month(s)",
                rows.Count, partitions.Count, subjectMonths.Count);
        return repaired;
    }

    /// <summary>
    /// Subject-months written after their org-rollup row was last pushed (that push is always their
    /// last). Keys are escaped in grain storage and plain in the rollup table, so they meet here.
    /// </summary>
    private async Task<List<string>> StaleSubjectMonthsAsync(TimeSpan window, CancellationToken ct)
    {
        var written = new List<(string Key, DateTime At, string Org, string Subject, string Month)>();
        await using (var cmd = db.CreateCommand("""
            select grainidextensionstring, modifiedon from orleans_grain_state
            where graintypestring = 'subject-month' and serviceid = $1 and modifiedon > now() - $2 and payloadbinary is not null
            """))
        {
            cmd.Parameters.AddWithValue(options.ServiceId);
            cmd.Parameters.AddWithValue(window);
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                var key = r.GetString(0);
                var parts = key.Split('/').Select(Uri.UnescapeDataString).ToArray();
                if (parts.Length == 3) written.Add((key, r.GetDateTime(1), parts[0], parts[1], parts[2]));
            }
        }
        if (written.Count == 0) return [];
        var pushed = new Dictionary<(string, string, string), DateTime>();
        await using (var cmd = db.CreateCommand("""
            select c.org, c.subject, c.month, c.pushed_at from rollup_contrib c
            join unnest($1::text[], $2::text[], $3::text[]) as w(org, subject, month)
              on c.org = w.org and c.subject = w.subject and c.month = w.month and c.scope = 'org'
            """))
        {
            cmd.Parameters.AddWithValue(written.Select(w => w.Org).ToArray());
            cmd.Parameters.AddWithValue(written.Select(w => w.Subject).ToArray());
            cmd.Parameters.AddWithValue(written.Select(w => w.Month).ToArray());
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct)) pushed[(r.GetString(0), r.GetString(1), r.GetString(2).Trim())] = r.GetDateTime(3);
        }
        return written.Where(w => !pushed.TryGetValue((w.Org, w.Subject, w.Month), out var at) || w.At > at).Select(w => w.Key).ToList();
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
