using Flowstate.Reconciliation;
using Npgsql;

namespace Flowstate.Storage;

/// <summary>
/// Reads the row event log (<c>row_events</c>); the period grains append to it inside their ledger
/// writes (<see cref="ReconLedgerStore.UpsertRowsAsync"/>).
/// </summary>
public sealed class RowEventStore(NpgsqlDataSource db) : IRowEventLog
{
    public async Task<long> LastSeqAsync(string org, CancellationToken ct = default)
    {
        // The counter moves in the same transaction as the rows it numbers, so its committed value is the last committed seq.
        await using var cmd = db.CreateCommand("select seq from row_event_counters where org = $1");
        cmd.Parameters.AddWithValue(org);
        return await cmd.ExecuteScalarAsync(ct) is long seq ? seq : 0;
    }

    public async Task<IReadOnlyList<RowStatusChanged>> ReadAfterAsync(string org, long afterSeq, int max, CancellationToken ct = default)
    {
        await using var cmd = db.CreateCommand("""
            select seq, row_id, version, period, provider_id, from_status, to_status, action, actor, note, at
            from row_events where org = $1 and seq > $2 order by seq limit $3
            """);
        cmd.Parameters.AddWithValue(org);
        cmd.Parameters.AddWithValue(afterSeq);
        cmd.Parameters.AddWithValue(max);
        var changes = new List<RowStatusChanged>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            changes.Add(new RowStatusChanged(r.GetInt64(0), r.GetString(1), r.GetInt32(2), Period.Parse(r.GetString(3)), r.GetString(4),
                r.IsDBNull(5) ? null : (RowStatus)r.GetInt16(5), (RowStatus)r.GetInt16(6), r.IsDBNull(7) ? null : (RowAction)r.GetInt16(7),
                r.GetString(8), r.IsDBNull(9) ? null : r.GetString(9), r.GetFieldValue<DateTimeOffset>(10)));
        return changes;
    }
}
