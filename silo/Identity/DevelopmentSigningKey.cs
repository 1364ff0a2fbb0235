using System.Security.Cryptography;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using Npgsql;

namespace Flowstate.Silo.Identity;

/// <summary>
/// The development signing key (HMAC-SHA256, 256 bits): created on first use and stored in
/// PostgreSQL (<c>identity_signing_keys</c>), so every silo on the database and the <c>token</c>
/// verb agree on it. Only used when no OIDC authority is configured, in Development.
/// </summary>
public static class DevelopmentSigningKey
{
    private const string KeyId = "dev";

    public static async Task<SymmetricSecurityKey> GetOrCreateAsync(NpgsqlDataSource db, CancellationToken ct = default)
    {
        // Concurrent first uses race on the insert; "do nothing" lets exactly one key win and all read it back.
        // One statement: the insert's own row when it won, else the row already there. When the winner
        // commits while this statement runs, the insert does nothing and the select's snapshot, taken
        // before that commit, sees no row: the next statement (a new snapshot) does.
        for (var attempt = 1; ; attempt++)
        {
            await using var cmd = db.CreateCommand("""
                with inserted as (insert into identity_signing_keys (kid, key) values ($1, $2) on conflict (kid) do nothing returning key)
                select key from inserted union all select key from identity_signing_keys where kid = $1 limit 1
                """);
            cmd.Parameters.Add(new NpgsqlParameter { Value = KeyId });
            cmd.Parameters.Add(new NpgsqlParameter { Value = RandomNumberGenerator.GetBytes(32) });
            if (await cmd.ExecuteScalarAsync(ct) is byte[] key) return new SymmetricSecurityKey(key) { KeyId = KeyId };
            if (attempt == 5) throw new InvalidOperationException("The development signing key was neither created nor found.");
        }
    }

    public static async Task<SymmetricSecurityKey> GetOrCreateAsync(string connectionString, CancellationToken ct = default)
    {
        await using var db = NpgsqlDataSource.Create(connectionString);
        return await GetOrCreateAsync(db, ct);
    }
}

/// <summary>
/// Hands the JWT bearer handler the development issuer and key, the way an OIDC authority's
/// metadata would: the handler validates development tokens exactly as it validates real ones.
/// </summary>
public sealed class DevelopmentTokenConfiguration(NpgsqlDataSource db) : IConfigurationManager<OpenIdConnectConfiguration>
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private OpenIdConnectConfiguration? _configuration;

    public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(CancellationToken cancel)
    {
        if (_configuration is { } loaded) return loaded;
        await _gate.WaitAsync(cancel);
        try
        {
            if (_configuration is null)
            {
                var configuration = new OpenIdConnectConfiguration { Issuer = IdentityOptions.DevelopmentIssuer };
                configuration.SigningKeys.Add(await DevelopmentSigningKey.GetOrCreateAsync(db, cancel));
                _configuration = configuration;
            }
            return _configuration;
        }
        finally { _gate.Release(); }
    }

    public void RequestRefresh() { }
}
