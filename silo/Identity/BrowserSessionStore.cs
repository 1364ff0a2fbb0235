using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Npgsql;
using NpgsqlTypes;

namespace Flowstate.Silo.Identity;

/// <summary>
/// Where the cookie handler keeps browser sessions (its <see cref="CookieAuthenticationOptions.SessionStore"/>):
/// PostgreSQL, shared by every silo. The cookie carries only the row's key (protected by Data
/// Protection); the ticket (who the caller is) stays here, and is gone once the caller signs out or
/// the token it was opened with expires. A PostgreSQL that cannot be reached surfaces as
/// <see cref="StorageUnavailableException"/> (503 with Retry-After, never "not signed in").
/// </summary>
public sealed class BrowserSessionStore(NpgsqlDataSource db) : ITicketStore
{
    public Task<string> StoreAsync(AuthenticationTicket ticket) => Translated(() => StoreCoreAsync(ticket));

    public Task RenewAsync(string key, AuthenticationTicket ticket) =>
        Guid.TryParseExact(key, "N", out var id) ? Translated(() => WriteAsync(id, ticket)) : Task.CompletedTask;

    public Task<AuthenticationTicket?> RetrieveAsync(string key) => Translated(() => RetrieveCoreAsync(key));

    public Task RemoveAsync(string key) => Translated(() => RemoveCoreAsync(key));

    private static async Task<T> Translated<T>(Func<Task<T>> work)
    {
        try { return await work(); }
        catch (NpgsqlException e) { throw Flowstate.Storage.StorageExceptionFilter.Translate(e); }
    }

    private static Task Translated(Func<Task> work) => Translated(async () => { await work(); return true; });

    private async Task<string> StoreCoreAsync(AuthenticationTicket ticket)
    {
        var key = Guid.NewGuid();
        await using (var sweep = db.CreateCommand("delete from flowstate_browser_sessions where expires_at < now()"))
            await sweep.ExecuteNonQueryAsync();
        await WriteAsync(key, ticket);
        return key.ToString("N");
    }

    private async Task<AuthenticationTicket?> RetrieveCoreAsync(string key)
    {
        if (!Guid.TryParseExact(key, "N", out var id)) return null;
        await using var cmd = db.CreateCommand("select ticket from flowstate_browser_sessions where key = @key and expires_at > now()");
        cmd.Parameters.AddWithValue("key", id);
        return await cmd.ExecuteScalarAsync() is byte[] ticket ? TicketSerializer.Default.Deserialize(ticket) : null;
    }

    private async Task RemoveCoreAsync(string key)
    {
        if (!Guid.TryParseExact(key, "N", out var id)) return;
        await using var cmd = db.CreateCommand("delete from flowstate_browser_sessions where key = @key");
        cmd.Parameters.AddWithValue("key", id);
        await cmd.ExecuteNonQueryAsync();
    }

    private async Task WriteAsync(Guid key, AuthenticationTicket ticket)
    {
        // A ticket without an expiry would live for ever: BrowserSession always sets the token's.
        var expires = ticket.Properties.ExpiresUtc ?? throw new InvalidOperationException("A browser session needs an expiry.");
        await using var cmd = db.CreateCommand("""
            insert into flowstate_browser_sessions (key, ticket, expires_at) values (@key, @ticket, @expires)
            on conflict (key) do update set ticket = excluded.ticket, expires_at = excluded.expires_at
            """);
        cmd.Parameters.AddWithValue("key", key);
        cmd.Parameters.Add(new NpgsqlParameter("ticket", NpgsqlDbType.Bytea) { Value = TicketSerializer.Default.Serialize(ticket) });
        cmd.Parameters.AddWithValue("expires", expires.UtcDateTime);
        await cmd.ExecuteNonQueryAsync();
    }
}
