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

    /// <summary>
    /// Stores one rollup's contribution, version-guarded; completes once it is durable. Contributions of every rollup of
    /// the silo that arrive while a write is in flight go out together in the next one (group commit across rollups):
    /// a fold window's subject-months push to thousands of rollups (a scope-month each), which one statement per
    /// rollup made the slowest part of the ingest path.
    /// </summary>
    public Task WriteAsync(string org, string scope, Period month, Contribution contribution) =>
        LazyInitializer.EnsureInitialized(ref _writes, () => new GroupCommit<Pending>(UpsertAsync)).EnqueueAsync(new Pending(org, scope, month.ToString(), contribution));

    private readonly record struct Pending(string Org, string Scope, string Month, Contribution Contribution);

    private GroupCommit<Pending>? _writes;

    /// <summary>One statement for contributions of many rollups; a contribution older than the stored one is ignored.</summary>
    private async Task UpsertAsync(IReadOnlyList<Pending> contributions)
    {
        // One per rollup and subject (the newest), in key order: a statement may touch a row only once, and
        // concurrent writers (other silos) lock rows in one order.
        var batch = contributions.GroupBy(c => (c.Org, c.Scope, c.Month, c.Contribution.Subject)).Select(g => g.MaxBy(c => c.Contribution.Version))
            .OrderBy(c => c.Org, StringComparer.Ordinal).ThenBy(c => c.Scope, StringComparer.Ordinal).ThenBy(c => c.Month, StringComparer.Ordinal)
            .ThenBy(c => c.Contribution.Subject, StringComparer.Ordinal).ToList();
        await using var cmd = db.CreateCommand("""
            insert into rollup_contrib (org, scope, month, subject, version, cells)
            select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bytea[])
            on conflict (org, scope, month, subject) do update set
                version = excluded.version, cells = excluded.cells, pushed_at = clock_timestamp()
            where rollup_contrib.version < excluded.version
            """);
        cmd.Parameters.AddWithValue(batch.Select(c => c.Org).ToArray());
        cmd.Parameters.AddWithValue(batch.Select(c => c.Scope).ToArray());
        cmd.Parameters.AddWithValue(batch.Select(c => c.Month).ToArray());
        cmd.Parameters.AddWithValue(batch.Select(c => c.Contribution.Subject).ToArray());
        cmd.Parameters.AddWithValue(batch.Select(c => c.Contribution.Version).ToArray());
        cmd.Parameters.AddWithValue(batch.Select(c => ContributionCodec.Encode(c.Contribution.Cells)).ToArray());
        await cmd.ExecuteNonQueryAsync();
    }
}
