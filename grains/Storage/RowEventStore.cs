using Flowstate.Reconciliation;
using Npgsql;
using NpgsqlTypes;

namespace Flowstate.Storage;

/// <summary>
/// Reads the row event log (<c>row_events</c>); the period grains append to it inside their ledger
/// writes (<see cref="ReconLedgerStore.UpsertRowsAsync"/>). The log is also the org-wide audit log.
/// </summary>
public sealed class RowEventStore(NpgsqlDataSource db) : IRowEventLog
{
    private const string Columns = "seq, row_id, version, period, provider_id, from_status, to_status, action, actor, note, at";

    public async Task<long> LastSeqAsync(string org, CancellationToken ct = default)
    {
        // The counter moves in the same transaction as the rows it numbers, so its committed value is the last committed seq.
        await using var cmd = db.CreateCommand("select seq from row_event_counters where org = $1");
        cmd.Parameters.AddWithValue(org);
        return await cmd.ExecuteScalarAsync(ct) is long seq ? seq : 0;
    }

    public async Task<IReadOnlyList<RowStatusChanged>> ReadAfterAsync(string org, long afterSeq, int max, CancellationToken ct = default)
    {
        await using var cmd = db.CreateCommand($"select {Columns} from row_events where org = $1 and seq > $2 order by seq limit $3");
        cmd.Parameters.AddWithValue(org);
        cmd.Parameters.AddWithValue(afterSeq);
        cmd.Parameters.AddWithValue(max);
        return await ReadAsync(cmd, ct);
    }

    /// <summary>Each filter is a null-or-equal test; the page is a keyset range of seq from the cursor (indexes in 171-audit-log.sql).</summary>
    public async Task<IReadOnlyList<RowStatusChanged>> ReadPageAsync(string org, AuditQuery query, CancellationToken ct = default)
    {
        var (f, desc) = (query.Filter, query.NewestFirst);
        await using var cmd = db.CreateCommand($"""
            select {Columns} from row_events
            where org = $1
              and ($2::bigint is null or seq {(desc ? "<" : ">")} $2)
              and ($3::text is null or actor = $3) and ($4::smallint is null or action = $4)
              and ($5::text is null or period = $5::char(7)) and ($6::text is null or provider_id = $6)
              and ($7::text is null or row_id = $7)
              and ($8::timestamptz is null or at >= $8) and ($9::timestamptz is null or at < $9)
            order by seq {(desc ? "desc" : "asc")}
            limit $10
            """);
        cmd.Parameters.AddWithValue(org);
        cmd.Parameters.Add(Nullable(query.AfterSeq, NpgsqlDbType.Bigint));
        cmd.Parameters.Add(Nullable(f.Actor, NpgsqlDbType.Text));
        cmd.Parameters.Add(Nullable(f.Action is { } a ? (short)a : null, NpgsqlDbType.Smallint));
        cmd.Parameters.Add(Nullable(f.Period?.ToString(), NpgsqlDbType.Text));
        cmd.Parameters.Add(Nullable(f.ProviderId, NpgsqlDbType.Text));
        cmd.Parameters.Add(Nullable(f.RowId, NpgsqlDbType.Text));
        cmd.Parameters.Add(Nullable(f.From?.ToUniversalTime(), NpgsqlDbType.TimestampTz));
        cmd.Parameters.Add(Nullable(f.To?.ToUniversalTime(), NpgsqlDbType.TimestampTz));
        cmd.Parameters.AddWithValue(query.First + 1);
        return await ReadAsync(cmd, ct);
    }

    private static NpgsqlParameter Nullable(object? value, NpgsqlDbType type) => new() { Value = value ?? DBNull.Value, NpgsqlDbType = type };

    private static async Task<IReadOnlyList<RowStatusChanged>> ReadAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        var changes = new List<RowStatusChanged>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            changes.Add(new RowStatusChanged(r.GetInt64(0), r.GetString(1), r.GetInt32(2), Period.Parse(r.GetString(3)), r.GetString(4),
                r.IsDBNull(5) ? null : (RowStatus)r.GetInt16(5), (RowStatus)r.GetInt16(6), r.IsDBNull(7) ? null : (RowAction)r.GetInt16(7),
                r.GetString(8), r.IsDBNull(9) ? null : r.GetString(9), r.GetFieldValue<DateTimeOffset>(10)));
        return changes;
    }
}
