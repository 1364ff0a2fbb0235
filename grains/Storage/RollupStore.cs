using Flowstate.Attribution;
using Npgsql;

namespace Flowstate.Storage;

/// <summary>
/// The durable form of rollups: <c>rollup_contrib</c> holds each subject-month's latest
/// contribution to each rollup, its cells in <see cref="ContributionCodec"/>'s form. Writes are version-guarded
/// upserts, so a replayed or reordered push never overwrites a newer one.
/// </summary>
public sealed class RollupStore(NpgsqlDataSource db)
{
    public async Task<List<Contribution>> LoadAsync(string org, string scope, Period month)
    {
        await using var cmd = db.CreateCommand("select subject, version, cells from rollup_contrib where org = $1 and scope = $2 and month = $3");
        cmd.Parameters.AddWithValue(org);
        cmd.Parameters.AddWithValue(scope);
        cmd.Parameters.AddWithValue(month.ToString());
        var result = new List<Contribution>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync())
            result.Add(new Contribution(r.GetString(0), r.GetInt64(1), ContributionCodec.Decode(r.GetFieldValue<byte[]>(2))));
        return result;
    }

    /// <summary>Upserts a batch of one rollup's contributions in one statement; a contribution older than the stored one is ignored.</summary>
    public async Task UpsertAsync(string org, string scope, Period month, IReadOnlyList<Contribution> contributions)
    {
        // One per subject (the newest), in key order: a statement may touch a row only once.
        var batch = contributions.GroupBy(c => c.Subject).Select(g => g.MaxBy(c => c.Version)!).OrderBy(c => c.Subject, StringComparer.Ordinal).ToList();
        await using var cmd = db.CreateCommand("""
            insert into rollup_contrib (org, scope, month, subject, version, cells)
            select $1, $2, $3, * from unnest($4::text[], $5::bigint[], $6::bytea[])
            on conflict (org, scope, month, subject) do update set
                version = excluded.version, cells = excluded.cells, pushed_at = clock_timestamp()
            where rollup_contrib.version < excluded.version
            """);
        cmd.Parameters.AddWithValue(org);
        cmd.Parameters.AddWithValue(scope);
        cmd.Parameters.AddWithValue(month.ToString());
        cmd.Parameters.AddWithValue(batch.Select(c => c.Subject).ToArray());
        cmd.Parameters.AddWithValue(batch.Select(c => c.Version).ToArray());
        cmd.Parameters.AddWithValue(batch.Select(c => ContributionCodec.Encode(c.Cells)).ToArray());
        await cmd.ExecuteNonQueryAsync();
    }
}
