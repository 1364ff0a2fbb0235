using System.Data;
using System.Runtime.CompilerServices;
using Flowstate.Reconciliation;
using Npgsql;
using NpgsqlTypes;

namespace Flowstate.Storage;

/// <summary>One row of a period's ledger as the exports read it.</summary>
public sealed record LedgerRow(
    string RowId, string ProviderId, string? ExternalId, string? SubjectKey, string? Account, DateOnly UsageDate, BillingRowKind Kind,
    decimal Amount, decimal? ListAmount, decimal Observed, RowStatus Status, ResidualCause Cause, string? Description, string? Note,
    Period? DeferredFrom);

/// <summary>One observed session of a period as the attribution export reads it.</summary>
public sealed record ExportSessionRow(
    string Id, DateTimeOffset StartedAt, string? PersonId, string SubjectKey, string ProviderId, string Model, string? ProjectId,
    decimal CostUsd, decimal MarketCostUsd);

/// <summary>
/// Reads what the exports stream: a period's ledger rows and its sessions, in keyset pages (row id /
/// session id order) inside one read-only REPEATABLE READ transaction, so a file is one consistent
/// snapshot however many actions land while it streams, and memory holds one page at a time.
/// </summary>
public sealed class ExportStore(NpgsqlDataSource db)
{
    public const int DefaultPageSize = 2000;

    /// <summary>The rows now in <paramref name="period"/> (not those deferred out of it); only CONFIRMED ones with <paramref name="confirmedOnly"/>.</summary>
    public IAsyncEnumerable<LedgerRow> LedgerAsync(string org, Period period, bool confirmedOnly, int pageSize = DefaultPageSize, CancellationToken ct = default) =>
        PagesAsync(pageSize, """
            select row_id, provider_id, external_id, subject_key, account, usage_date, kind, amount, list_amount, observed, status, cause,
                   description, note, deferred_from
            from recon_ledger
            where org = $1 and period = $2 and moved_out_to is null and (not $3 or status = 3) and ($4::text is null or row_id > $4)
            order by row_id
            limit $5
            """,
            (cmd, after) =>
            {
                cmd.Parameters.AddWithValue(org);
                cmd.Parameters.AddWithValue(period.ToString());
                cmd.Parameters.AddWithValue(confirmedOnly);
                cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)after ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            },
            r => new LedgerRow(r.GetString(0), r.GetString(1), Str(r, 2), Str(r, 3), Str(r, 4), r.GetFieldValue<DateOnly>(5), (BillingRowKind)r.GetInt16(6),
                r.GetDecimal(7), r.IsDBNull(8) ? null : r.GetDecimal(8), r.GetDecimal(9), (RowStatus)r.GetInt16(10), (ResidualCause)r.GetInt16(11),
                Str(r, 12), Str(r, 13), r.IsDBNull(14) ? null : Period.Parse(r.GetString(14))),
            row => row.RowId, ct);

    /// <summary>The sessions that started in <paramref name="period"/> (UTC), in id order.</summary>
    public IAsyncEnumerable<ExportSessionRow> SessionsAsync(string org, Period period, int pageSize = DefaultPageSize, CancellationToken ct = default) =>
        PagesAsync(pageSize, """
            select id, started_at, person_id, subject_key, provider_id, model, project_id, cost_usd, market_cost_usd
            from sessions
            where org = $1 and started_at >= $2 and started_at < $3 and ($4::text is null or id > $4)
            order by id
            limit $5
            """,
            (cmd, after) =>
            {
                cmd.Parameters.AddWithValue(org);
                cmd.Parameters.AddWithValue(period.Start.UtcDateTime);
                cmd.Parameters.AddWithValue(period.Next.Start.UtcDateTime);
                cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)after ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            },
            r => new ExportSessionRow(r.GetString(0), r.GetFieldValue<DateTimeOffset>(1), Str(r, 2), r.GetString(3), r.GetString(4), r.GetString(5), Str(r, 6),
                r.GetDecimal(7), r.GetDecimal(8)),
            s => s.Id, ct);

    private static string? Str(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private async IAsyncEnumerable<T> PagesAsync<T>(int pageSize, string sql, Action<NpgsqlCommand, string?> bind, Func<NpgsqlDataReader, T> read,
        Func<T, string> keyOf, [EnumeratorCancellation] CancellationToken ct)
    {
        await using var conn = await db.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        await using (var ro = new NpgsqlCommand("set transaction read only", conn, tx)) await ro.ExecuteNonQueryAsync(ct);
        string? after = null;
        var page = new List<T>(pageSize);
        do
        {
            page.Clear();
            await using (var cmd = new NpgsqlCommand(sql, conn, tx))
            {
                bind(cmd, after);
                cmd.Parameters.AddWithValue(pageSize);
                await using var r = await cmd.ExecuteReaderAsync(ct);
                while (await r.ReadAsync(ct)) page.Add(read(r));
            }
            foreach (var item in page) yield return item;
            if (page.Count > 0) after = keyOf(page[^1]);
        } while (page.Count == pageSize);
        await tx.CommitAsync(ct);
    }
}
