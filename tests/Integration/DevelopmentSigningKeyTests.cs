using Flowstate.Silo.Identity;
using Flowstate.Tests.Infrastructure;
using Npgsql;

namespace Flowstate.Tests.Integration;

/// <summary>The development key's first use, raced by another silo (or the token verb) that creates it at the same moment.</summary>
public sealed class DevelopmentSigningKeyTests : FreshDatabaseTests
{
    [Fact]
    public async Task FirstUse_WhileAnotherCreatesTheKey_ReadsTheWinnersKey()
    {
        // The other creator's insert is in, not yet committed: our insert waits on it, and its
        // commit lands after our statement's snapshot was taken.
        await using var other = new NpgsqlConnection(Db.ConnectionString);
        await other.OpenAsync();
        await using var tx = await other.BeginTransactionAsync();
        var winner = new byte[32];
        Random.Shared.NextBytes(winner);
        await using (var insert = new NpgsqlCommand("insert into identity_signing_keys (kid, key) values ('dev', $1)", other, tx))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = winner });
            await insert.ExecuteNonQueryAsync();
        }

        var ours = DevelopmentSigningKey.GetOrCreateAsync(Db.ConnectionString);
        await SiloHttp.UntilAsync(async () =>
            await Db.ScalarAsync<long>("select count(*) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'") > 0,
            TimeSpan.FromSeconds(10), "our insert waits on the other's");
        await tx.CommitAsync();

        var key = await ours;
        Assert.Equal(winner, key.Key);
        Assert.Equal("dev", key.KeyId);
    }
}
