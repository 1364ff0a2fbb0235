using Flowstate.Identity;
using Npgsql;

namespace Flowstate.Storage;

/// <summary>
/// <see cref="IIngestKeyStore"/> on PostgreSQL (<c>ingest_keys</c>, 150-ingest-keys.sql). Nothing
/// is cached: every authentication reads the row, so a key revoked on one silo fails on all of
/// them at once (one primary-key-sized index lookup per request).
/// </summary>
public sealed class IngestKeyStore(NpgsqlDataSource db) : IIngestKeyStore
{
    private const string Columns = "org, id, name, prefix, roles, created_by, created_at, last_used_at, revoked_at, subject, revoked_by";

    /// <summary>A use is written at most this often per key, so a busy agent does not turn every request into a write.</summary>
    public static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    public async Task<IngestKeyInfo> CreateAsync(NewIngestKey key, CancellationToken ct = default)
    {
        // The cap bounds what one org can store; two creates racing at the cap may both pass it, which is harmless.
        await using var cmd = db.CreateCommand($"""
            insert into ingest_keys (org, id, name, prefix, secret_sha256, roles, created_by, subject)
            select $1, $2, $3, $4, $5, $6, $7, $9
            where (select count(*) from ingest_keys where org = $1 and revoked_at is null) < $8
            returning {Columns}
            """);
        cmd.Parameters.AddWithValue(key.Org);
        cmd.Parameters.AddWithValue(key.Id);
        cmd.Parameters.AddWithValue(key.Name);
        cmd.Parameters.AddWithValue(key.Prefix);
        cmd.Parameters.AddWithValue(key.SecretHash);
        cmd.Parameters.AddWithValue(key.Roles.ToArray());
        cmd.Parameters.AddWithValue(key.CreatedBy);
        cmd.Parameters.AddWithValue(IngestKeySecrets.MaxActivePerOrg);
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)key.Subject ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        var created = await ReadAsync(cmd, ct);
        return created.Count == 1
            ? created[0]
            : throw FlowstateException.InvalidInput($"The org already has {IngestKeySecrets.MaxActivePerOrg} active ingest keys; revoke one first.");
    }

    public async Task<IReadOnlyList<IngestKeyInfo>> ListAsync(string org, CancellationToken ct = default)
    {
        await using var cmd = db.CreateCommand($"select {Columns} from ingest_keys where org = $1 order by created_at desc, id");
        cmd.Parameters.AddWithValue(org);
        return await ReadAsync(cmd, ct);
    }

    public async Task<IngestKeyInfo?> RevokeAsync(string org, string id, string actor, CancellationToken ct = default)
    {
        await using var cmd = db.CreateCommand($"""
            update ingest_keys set revoked_at = coalesce(revoked_at, now()), revoked_by = coalesce(revoked_by, $3)
            where org = $1 and id = $2
            returning {Columns}
            """);
        cmd.Parameters.AddWithValue(org);
        cmd.Parameters.AddWithValue(id);
        cmd.Parameters.AddWithValue(actor);
        return (await ReadAsync(cmd, ct)).SingleOrDefault();
    }

    public async Task<IngestKeyInfo?> AuthenticateAsync(byte[] secretHash, CancellationToken ct = default)
    {
        await using var cmd = db.CreateCommand($"select {Columns} from ingest_keys where secret_sha256 = $1 and revoked_at is null");
        cmd.Parameters.AddWithValue(secretHash);
        if ((await ReadAsync(cmd, ct)).SingleOrDefault() is not { } key) return null;
        if (key.LastUsedAt is not { } used || DateTimeOffset.UtcNow - used >= LastUsedResolution)
        {
            await using var touch = db.CreateCommand("update ingest_keys set last_used_at = now() where org = $1 and id = $2 and revoked_at is null");
            touch.Parameters.AddWithValue(key.Org);
            touch.Parameters.AddWithValue(key.Id);
            await touch.ExecuteNonQueryAsync(ct);
        }
        return key;
    }

    private static async Task<List<IngestKeyInfo>> ReadAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        var keys = new List<IngestKeyInfo>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            keys.Add(new IngestKeyInfo(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetFieldValue<string[]>(4),
                r.GetString(5), r.GetFieldValue<DateTimeOffset>(6),
                r.IsDBNull(7) ? null : r.GetFieldValue<DateTimeOffset>(7), r.IsDBNull(8) ? null : r.GetFieldValue<DateTimeOffset>(8),
                r.IsDBNull(9) ? null : r.GetString(9), r.IsDBNull(10) ? null : r.GetString(10)));
        return keys;
    }
}
