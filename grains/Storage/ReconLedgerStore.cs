using Flowstate.Reconciliation;
using Npgsql;
using NpgsqlTypes;

namespace Flowstate.Storage;

/// <summary>
/// The period ledger in PostgreSQL (<c>recon_ledger</c>, <c>period_observed</c>). Writes are
/// version-guarded upserts, so a replayed or reordered push never overwrites a newer one.
/// </summary>
public sealed class ReconLedgerStore(NpgsqlDataSource db)
{
    public async Task<(List<LedgerEntry> Rows, List<ObservedContribution> Observed)> LoadAsync(string org, Period period)
    {
        var rows = new List<LedgerEntry>();
        await using (var cmd = db.CreateCommand(
            "select row_id, version, provider_id, usage_date, amount, status, moved_out_to from recon_ledger where org = $1 and period = $2"))
        {
            cmd.Parameters.AddWithValue(org);
            cmd.Parameters.AddWithValue(period.ToString());
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync())
                rows.Add(new LedgerEntry(r.GetString(0), period, r.GetInt32(1), r.GetString(2),
                    r.GetFieldValue<DateOnly>(3), r.GetDecimal(4), (RowStatus)r.GetInt16(5),
                    r.IsDBNull(6) ? null : Period.Parse(r.GetString(6))));
        }
        var observed = new List<ObservedContribution>();
        await using (var cmd = db.CreateCommand("select partition_id, version, observed from period_observed where org = $1 and period = $2"))
        {
            cmd.Parameters.AddWithValue(org);
            cmd.Parameters.AddWithValue(period.ToString());
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync())
                observed.Add(new ObservedContribution(r.GetString(0), r.GetInt64(1), r.GetDecimal(2)));
        }
        return (rows, observed);
    }

    public async Task UpsertRowAsync(string org, LedgerEntry e)
    {
        await using var cmd = db.CreateCommand("""
            insert into recon_ledger (org, period, row_id, version, provider_id, usage_date, amount, status, moved_out_to)
            values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            on conflict (org, period, row_id) do update set
                version = excluded.version, provider_id = excluded.provider_id, usage_date = excluded.usage_date,
                amount = excluded.amount, status = excluded.status, moved_out_to = excluded.moved_out_to,
                pushed_at = clock_timestamp()
            where recon_ledger.version < excluded.version
            """);
        cmd.Parameters.AddWithValue(org);
        cmd.Parameters.AddWithValue(e.Period.ToString());
        cmd.Parameters.AddWithValue(e.RowId);
        cmd.Parameters.AddWithValue(e.Version);
        cmd.Parameters.AddWithValue(e.ProviderId);
        cmd.Parameters.AddWithValue(e.UsageDate);
        cmd.Parameters.AddWithValue(e.Amount);
        cmd.Parameters.AddWithValue((short)e.Status);
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)e.MovedOutTo?.ToString() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Char });
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task UpsertObservedAsync(string org, Period period, ObservedContribution c)
    {
        await using var cmd = db.CreateCommand("""
            insert into period_observed (org, period, partition_id, version, observed) values ($1, $2, $3, $4, $5)
            on conflict (org, period, partition_id) do update set
                version = excluded.version, observed = excluded.observed, pushed_at = clock_timestamp()
            where period_observed.version < excluded.version
            """);
        cmd.Parameters.AddWithValue(org);
        cmd.Parameters.AddWithValue(period.ToString());
        cmd.Parameters.AddWithValue(c.PartitionId);
        cmd.Parameters.AddWithValue(c.Version);
        cmd.Parameters.AddWithValue(c.ObservedUsd);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>One page of a period's open ledger in inbox order (usage date, row id), keyset-paginated.</summary>
    public async Task<List<(string RowId, DateOnly UsageDate)>> PageAsync(
        string org, Period period, IReadOnlyList<RowStatus> statuses, string? providerId, (DateOnly Day, string RowId)? after, int take)
    {
        await using var cmd = db.CreateCommand("""
            select row_id, usage_date from recon_ledger
            where org = $1 and period = $2 and moved_out_to is null and status = any($3)
              and ($4::text is null or provider_id = $4)
              and ($5::date is null or (usage_date, row_id) > ($5, $6))
            order by usage_date, row_id
            limit $7
            """);
        cmd.Parameters.AddWithValue(org);
        cmd.Parameters.AddWithValue(period.ToString());
        cmd.Parameters.AddWithValue(statuses.Select(s => (short)s).ToArray());
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)providerId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = after is { } a ? a.Day : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Date });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)after?.RowId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        cmd.Parameters.AddWithValue(take);
        var page = new List<(string, DateOnly)>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync()) page.Add((r.GetString(0), r.GetFieldValue<DateOnly>(1)));
        return page;
    }

    /// <summary>Rows waiting as DEFERRED in a period before <paramref name="current"/>: their return is due.</summary>
    public async Task<List<string>> DueDeferralsAsync(string org, Period current)
    {
        await using var cmd = db.CreateCommand(
            "select row_id from recon_ledger where org = $1 and status = 5 and moved_out_to is null and period < $2 order by period, row_id");
        cmd.Parameters.AddWithValue(org);
        cmd.Parameters.AddWithValue(current.ToString());
        var ids = new List<string>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync()) ids.Add(r.GetString(0));
        return ids;
    }
}
