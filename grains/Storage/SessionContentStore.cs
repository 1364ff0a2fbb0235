using Flowstate.Attribution;
using Npgsql;

namespace Flowstate.Storage;

/// <summary>
/// <see cref="ISessionContentStore"/> on PostgreSQL (151-session-content.sql). Content is written by
/// <see cref="SessionStore.InsertAsync"/> with the session itself; this reads it, and records refused
/// reads through a group commit, so a page of denied sessions is one insert, not one per session.
/// </summary>
public sealed class SessionContentStore : ISessionContentStore
{
    private readonly NpgsqlDataSource _db;
    private readonly GroupCommit<ContentDenial> _denials;

    public SessionContentStore(NpgsqlDataSource db)
    {
        _db = db;
        _denials = new GroupCommit<ContentDenial>(WriteDenialsAsync);
    }

    public async Task<IReadOnlyDictionary<string, SessionContent>> ReadAsync(string org, IReadOnlyCollection<string> sessionIds, CancellationToken ct = default)
    {
        var found = new Dictionary<string, SessionContent>(StringComparer.Ordinal);
        if (sessionIds.Count == 0) return found;
        await using var cmd = _db.CreateCommand("select session_id, prompt, response from session_content where org = $1 and session_id = any($2)");
        cmd.Parameters.AddWithValue(org);
        cmd.Parameters.AddWithValue(sessionIds.ToArray());
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            found[r.GetString(0)] = new SessionContent(r.IsDBNull(1) ? null : r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2));
        return found;
    }

    public Task RecordDenialAsync(ContentDenial denial) => _denials.EnqueueAsync(denial);

    public async Task<IReadOnlyList<ContentDenialEntry>> ReadDenialsAsync(string org, int first, long? beforeSeq, CancellationToken ct = default)
    {
        await using var cmd = _db.CreateCommand("""
            select seq, session_id, actor, reason, at from content_access_denials
            where org = $1 and ($2::bigint is null or seq < $2) order by seq desc limit $3
            """);
        cmd.Parameters.AddWithValue(org);
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)beforeSeq ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        cmd.Parameters.AddWithValue(first);
        var entries = new List<ContentDenialEntry>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            entries.Add(new ContentDenialEntry(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetFieldValue<DateTimeOffset>(4)));
        return entries;
    }

    private async Task WriteDenialsAsync(IReadOnlyList<ContentDenial> denials)
    {
        await using var cmd = _db.CreateCommand("""
            insert into content_access_denials (org, session_id, actor, reason)
            select * from unnest($1::text[], $2::text[], $3::text[], $4::text[])
            """);
        cmd.Parameters.AddWithValue(denials.Select(d => d.Org).ToArray());
        cmd.Parameters.AddWithValue(denials.Select(d => d.SessionId).ToArray());
        cmd.Parameters.AddWithValue(denials.Select(d => d.Actor).ToArray());
        cmd.Parameters.AddWithValue(denials.Select(d => d.Reason).ToArray());
        await cmd.ExecuteNonQueryAsync();
    }
}
