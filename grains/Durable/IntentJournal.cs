using Flowstate.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Flowstate.Durable;

/// <summary>
/// The silo's side of <c>durable_intents</c> (<c>silo/Sql/130-durable-journal.sql</c>): which grains
/// may hold a push their target has not acknowledged. Records and forgets are group-committed, so
/// many grains share one statement; a record is committed before the state write it announces, a
/// forget is sent in the background once the pushes are acknowledged. Every statement that writes
/// several rows locks them in one order (grain type, then key, byte order), so the records and
/// forgets of one silo, and those of several silos, never deadlock each other.
/// </summary>
public sealed class IntentJournal
{
    private readonly NpgsqlDataSource _db;
    private readonly DurableOptions _options;
    private readonly ILogger<IntentJournal> _logger;
    private readonly GroupCommit<Recording> _records;
    private readonly GroupCommit<Intent> _forgets;

    public IntentJournal(NpgsqlDataSource db, DurableOptions options, ILogger<IntentJournal> logger)
    {
        (_db, _options, _logger) = (db, options, logger);
        _records = new(WriteRecordsAsync);
        _forgets = new(DeleteAsync);
    }

    /// <summary>One grain's row: what the replay claims and what a forget must match.</summary>
    public sealed record Intent(string GrainType, string GrainKey, long Generation, int Attempts = 0)
    {
        public GrainId GrainId => GrainId.Create(GrainType, GrainKey);
    }

    private sealed class Recording(GrainId grain)
    {
        public GrainId Grain { get; } = grain;
        public long Generation { get; set; }
    }

    // Batches are written from the thread pool, never from the scheduler of whichever grain happened
    // to start a batch: that grain may deactivate while the batch is still serving others.

    /// <summary>Records that <paramref name="grain"/> is about to write a push; returns the row's generation once committed.</summary>
    public Task<long> RecordAsync(GrainId grain) => Task.Run(async () =>
    {
        var recording = new Recording(grain);
        await _records.EnqueueAsync(recording);
        return recording.Generation;
    });

    /// <summary>Drops the grain's row if it is still the one recorded as <paramref name="generation"/> (in the background).</summary>
    public void Forget(GrainId grain, long generation) => _ = Task.Run(async () =>
    {
        try { await _forgets.EnqueueAsync(new Intent(grain.Type.ToString()!, grain.Key.ToString()!, generation)); }
        catch (Exception e) { _logger.LogDebug(e, "Forgetting journal rows failed; the replay will clear them"); }
    });

    private async Task WriteRecordsAsync(IReadOnlyList<Recording> batch)
    {
        // One row per grain (a statement may touch a row once).
        var keys = batch.Select(r => (Type: r.Grain.Type.ToString()!, Key: r.Grain.Key.ToString()!)).Distinct()
            .OrderBy(k => k.Type, StringComparer.Ordinal).ThenBy(k => k.Key, StringComparer.Ordinal).ToList();
        await using var cmd = _db.CreateCommand("""
            insert into durable_intents as i (grain_type, grain_key, org, due_at)
            select t, k, o, clock_timestamp() + $4 from unnest($1::text[], $2::text[], $3::text[]) as u(t, k, o)
            order by t collate "C", k collate "C"
            on conflict (grain_type, grain_key) do update
                set generation = i.generation + 1, recorded_at = clock_timestamp(), due_at = excluded.due_at
            returning grain_type, grain_key, generation
            """);
        cmd.Parameters.AddWithValue(keys.Select(k => k.Type).ToArray());
        cmd.Parameters.AddWithValue(keys.Select(k => k.Key).ToArray());
        cmd.Parameters.AddWithValue(keys.Select(k => OrgOf(k.Key)).ToArray());
        cmd.Parameters.AddWithValue(_options.ReplayAfter);
        var generations = new Dictionary<(string, string), long>();
        await using (var r = await cmd.ExecuteReaderAsync())
            while (await r.ReadAsync()) generations[(r.GetString(0), r.GetString(1))] = r.GetInt64(2);
        foreach (var recording in batch) recording.Generation = generations[(recording.Grain.Type.ToString()!, recording.Grain.Key.ToString()!)];
    }

    private async Task DeleteAsync(IReadOnlyList<Intent> intents)
    {
        await using var cmd = _db.CreateCommand("""
            delete from durable_intents i using (
                select d.grain_type, d.grain_key from durable_intents d
                join unnest($1::text[], $2::text[], $3::bigint[]) as f(t, k, g) on d.grain_type = f.t and d.grain_key = f.k and d.generation = f.g
                order by d.grain_type collate "C", d.grain_key collate "C" for update of d) doomed
            where i.grain_type = doomed.grain_type and i.grain_key = doomed.grain_key
            """);
        cmd.Parameters.AddWithValue(intents.Select(i => i.GrainType).ToArray());
        cmd.Parameters.AddWithValue(intents.Select(i => i.GrainKey).ToArray());
        cmd.Parameters.AddWithValue(intents.Select(i => i.Generation).ToArray());
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Claims up to <paramref name="max"/> rows that are due (oldest first): they are hidden from
    /// other silos' replays for <see cref="DurableOptions.ClaimFor"/>, long enough to re-send them.
    /// </summary>
    public async Task<IReadOnlyList<Intent>> ClaimDueAsync(int max, CancellationToken ct = default)
    {
        await using var cmd = _db.CreateCommand("""
            update durable_intents i set due_at = clock_timestamp() + $2
            from (select grain_type, grain_key from durable_intents where due_at <= clock_timestamp()
                  order by due_at limit $1 for update skip locked) due
            where i.grain_type = due.grain_type and i.grain_key = due.grain_key
            returning i.grain_type, i.grain_key, i.generation, i.attempts
            """);
        cmd.Parameters.AddWithValue(max);
        cmd.Parameters.AddWithValue(_options.ClaimFor);
        var claimed = new List<Intent>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) claimed.Add(new Intent(r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetInt32(3)));
        return claimed;
    }

    /// <summary>Drops re-sent rows (each only if no write recorded it again meanwhile).</summary>
    public Task CompleteAsync(IReadOnlyList<Intent> intents) => intents.Count == 0 ? Task.CompletedTask : DeleteAsync(intents);

    /// <summary>Puts failed rows back with a growing delay (up to <see cref="DurableOptions.MaxRetryDelay"/>) and their error.</summary>
    public async Task PostponeAsync(IReadOnlyList<(Intent Intent, string Error)> failed)
    {
        if (failed.Count == 0) return;
        await using var cmd = _db.CreateCommand("""
            update durable_intents i set attempts = i.attempts + 1, last_error = failed.e,
                due_at = clock_timestamp() + least($5 * power(2, i.attempts), $6)
            from (select d.grain_type, d.grain_key, f.e from durable_intents d
                  join unnest($1::text[], $2::text[], $3::bigint[], $4::text[]) as f(t, k, g, e) on d.grain_type = f.t and d.grain_key = f.k and d.generation = f.g
                  order by d.grain_type collate "C", d.grain_key collate "C" for update of d) failed
            where i.grain_type = failed.grain_type and i.grain_key = failed.grain_key
            """);
        cmd.Parameters.AddWithValue(failed.Select(f => f.Intent.GrainType).ToArray());
        cmd.Parameters.AddWithValue(failed.Select(f => f.Intent.GrainKey).ToArray());
        cmd.Parameters.AddWithValue(failed.Select(f => f.Intent.Generation).ToArray());
        cmd.Parameters.AddWithValue(failed.Select(f => f.Error.Length > 2000 ? f.Error[..2000] : f.Error).ToArray());
        cmd.Parameters.AddWithValue(_options.ReplayAfter);
        cmd.Parameters.AddWithValue(_options.MaxRetryDelay);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>Rows waiting, in all orgs (operators, tests).</summary>
    public async Task<long> BacklogAsync(CancellationToken ct = default)
    {
        await using var cmd = _db.CreateCommand("select count(*) from durable_intents");
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Every grain key starts with its org (escaped); the org grain's key is the org itself.</summary>
    private static string OrgOf(string key) => key.Contains('/') ? GrainKeys.OrgOf(key) : key;
}
