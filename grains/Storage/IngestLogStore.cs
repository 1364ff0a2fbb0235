using Flowstate.Ingestion;
using Npgsql;

namespace Flowstate.Storage;

/// <summary>
/// One item of the ingest log as written: resolved (subject, person, project) and priced, so the fold
/// only sums. <see cref="Digest"/> fingerprints what the sender said, to tell a duplicate from a
/// conflicting re-send of the same id.
/// </summary>
public sealed record IngestItem(
    string Org, string SessionId, string ItemId, CallKind Kind, string ProviderId, string SubjectKey, string? PersonId, string? Model,
    DateTimeOffset StartedAt, DateTimeOffset? EndedAt, long InputTokens, long OutputTokens, long CachedInputTokens, int? Turns,
    decimal CostUsd, decimal MarketCostUsd, string? ApiKeyId, string? ProjectId, string? ProjectSource, string? ContextKey,
    SessionContext? Context, double? Frustration, string? Series, long Digest);

/// <summary>A position in the fold order: the inserting transaction and the item's sequence number.</summary>
public readonly record struct FoldPosition(ulong Tx, long Seq) : IComparable<FoldPosition>
{
    public static readonly FoldPosition Start = new(0, 0);

    public int CompareTo(FoldPosition other) => Tx != other.Tx ? Tx.CompareTo(other.Tx) : Seq.CompareTo(other.Seq);

    public static bool operator <=(FoldPosition a, FoldPosition b) => a.CompareTo(b) <= 0;
    public static bool operator >=(FoldPosition a, FoldPosition b) => a.CompareTo(b) >= 0;
    public static FoldPosition Max(FoldPosition a, FoldPosition b) => a >= b ? a : b;
}

/// <summary>What is stored for one key: the sender's fingerprint and where the item is in the fold order.</summary>
public readonly record struct StoredItem(long Digest, FoldPosition Position);

/// <summary>A session's prompt and response, stored with its first write (DESIGN §7: apart from the sessions table).</summary>
public sealed record ItemContent(string SessionId, string? Prompt, string? Response);

/// <summary>The log not folded yet: how many items, and when the oldest of them arrived (null when none).</summary>
public readonly record struct FoldBacklog(long Items, DateTimeOffset? OldestReceivedAt)
{
    public TimeSpan Lag(DateTimeOffset now) => OldestReceivedAt is { } at && now > at ? now - at : TimeSpan.Zero;
}

/// <summary>The next items to fold: the sessions they touch and the position after the last of them.</summary>
public sealed record FoldWindow(IReadOnlyList<(string Org, string SessionId)> Sessions, FoldPosition End, int Items);

/// <summary>The ingest log (silo/Sql/180-ingest-log.sql): bulk appends that are the acknowledgement, and the fold's reads.</summary>
public sealed class IngestLogStore(NpgsqlDataSource db)
{
    private const string Columns = """
        org, session_id, item_id, kind, provider_id, subject_key, person_id, model, started_at, ended_at,
        input_tokens, output_tokens, cached_input_tokens, turns, cost_usd, market_cost_usd, api_key_id,
        project_id, project_source, context_key, repo, path, app, frustration, series, digest
        """;

    /// <summary>
    /// Appends the items in one multi-row insert; an item whose (org, session, id) is stored already
    /// is left as it is (the first write wins). <paramref name="content"/> (prompts and responses of
    /// one org's sessions) is stored in the same statement, only for items that were new. Returns the
    /// keys that were new with their place in the fold order. Durable when it returns.
    /// </summary>
    public async Task<Dictionary<(string SessionId, string ItemId), FoldPosition>> AppendAsync(IReadOnlyList<IngestItem> items,
        IReadOnlyList<ItemContent>? content = null, CancellationToken ct = default)
    {
        var fresh = new Dictionary<(string, string), FoldPosition>();
        if (items.Count == 0) return fresh;
        content ??= [];
        await using var cmd = db.CreateCommand($"""
            with written as (
                insert into ingest_log ({Columns})
                select * from unnest($1::text[], $2::text[], $3::text[], $4::smallint[], $5::text[], $6::text[], $7::text[], $8::text[],
                    $9::timestamptz[], $10::timestamptz[], $11::bigint[], $12::bigint[], $13::bigint[], $14::int[], $15::numeric[], $16::numeric[],
                    $17::text[], $18::text[], $19::text[], $20::text[], $21::text[], $22::text[], $23::text[], $24::float8[], $25::text[], $26::bigint[])
                on conflict (org, session_id, item_id) do nothing
                returning org, session_id, item_id, tx, seq),
            content as (
                insert into session_content (org, session_id, prompt, response)
                select w.org, c.id, c.prompt, c.response
                from unnest($27::text[], $28::text[], $29::text[]) as c(id, prompt, response)
                join written w on w.session_id = c.id and w.item_id = '{SessionItemId}'
                on conflict (org, session_id) do nothing)
            select session_id, item_id, tx::text, seq from written
            """);
        T[] Col<T>(Func<IngestItem, T> f) => items.Select(f).ToArray();
        var p = cmd.Parameters;
        p.AddWithValue(Col(i => i.Org));
        p.AddWithValue(Col(i => i.SessionId));
        p.AddWithValue(Col(i => i.ItemId));
        p.AddWithValue(Col(i => (short)i.Kind));
        p.AddWithValue(Col(i => i.ProviderId));
        p.AddWithValue(Col(i => i.SubjectKey));
        p.AddWithValue(Col(i => i.PersonId));
        p.AddWithValue(Col(i => i.Model));
        p.AddWithValue(Col(i => i.StartedAt.UtcDateTime));
        p.AddWithValue(Col(i => i.EndedAt?.UtcDateTime));
        p.AddWithValue(Col(i => i.InputTokens));
        p.AddWithValue(Col(i => i.OutputTokens));
        p.AddWithValue(Col(i => i.CachedInputTokens));
        p.AddWithValue(Col(i => i.Turns));
        p.AddWithValue(Col(i => i.CostUsd));
        p.AddWithValue(Col(i => i.MarketCostUsd));
        p.AddWithValue(Col(i => i.ApiKeyId));
        p.AddWithValue(Col(i => i.ProjectId));
        p.AddWithValue(Col(i => i.ProjectSource));
        p.AddWithValue(Col(i => i.ContextKey));
        p.AddWithValue(Col(i => i.Context?.Repo));
        p.AddWithValue(Col(i => i.Context?.Path));
        p.AddWithValue(Col(i => i.Context?.App));
        p.AddWithValue(Col(i => i.Frustration));
        p.AddWithValue(Col(i => i.Series));
        p.AddWithValue(Col(i => i.Digest));
        p.AddWithValue(content.Select(c => c.SessionId).ToArray());
        p.AddWithValue(content.Select(c => c.Prompt).ToArray());
        p.AddWithValue(content.Select(c => c.Response).ToArray());
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            fresh[(reader.GetString(0), reader.GetString(1))] = new FoldPosition(ulong.Parse(reader.GetString(2)), reader.GetInt64(3));
        return fresh;
    }

    /// <summary>The item id of a whole session sent through ingestSessions (one item per session).</summary>
    public const string SessionItemId = "session";

    /// <summary>What is stored for the given keys of one org: to tell a duplicate from a conflicting re-send, and where each is in the fold order.</summary>
    public async Task<Dictionary<(string SessionId, string ItemId), StoredItem>> StoredAsync(string org, IReadOnlyList<(string SessionId, string ItemId)> keys,
        CancellationToken ct = default)
    {
        var result = new Dictionary<(string, string), StoredItem>();
        if (keys.Count == 0) return result;
        await using var cmd = db.CreateCommand("""
            select l.session_id, l.item_id, l.digest, l.tx::text, l.seq from ingest_log l
            join unnest($2::text[], $3::text[]) k(session_id, item_id) on l.session_id = k.session_id and l.item_id = k.item_id
            where l.org = $1
            """);
        cmd.Parameters.AddWithValue(org);
        cmd.Parameters.AddWithValue(keys.Select(k => k.SessionId).ToArray());
        cmd.Parameters.AddWithValue(keys.Select(k => k.ItemId).ToArray());
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
            result[(reader.GetString(0), reader.GetString(1))] = new StoredItem(reader.GetInt64(2), new FoldPosition(ulong.Parse(reader.GetString(3)), reader.GetInt64(4)));
        return result;
    }

    /// <summary>
    /// Up to <paramref name="limit"/> items after <paramref name="after"/>, of transactions that have all
    /// ended (so none can commit behind this window later); null when there are none.
    /// </summary>
    public async Task<FoldWindow?> NextWindowAsync(FoldPosition after, int limit, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("""
            select org, session_id, tx::text, seq from ingest_log
            where (tx, seq) > ($1::text::xid8, $2) and tx < pg_snapshot_xmin(pg_current_snapshot())
            order by tx, seq limit $3
            """);
        cmd.Parameters.AddWithValue(after.Tx.ToString());
        cmd.Parameters.AddWithValue(after.Seq);
        cmd.Parameters.AddWithValue(limit);
        var sessions = new HashSet<(string, string)>();
        var (end, count) = (after, 0);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            sessions.Add((reader.GetString(0), reader.GetString(1)));
            end = new FoldPosition(ulong.Parse(reader.GetString(2)), reader.GetInt64(3));
            count++;
        }
        return count == 0 ? null : new FoldWindow(sessions.ToList(), end, count);
    }

    /// <summary>Every stored item of the given sessions.</summary>
    public async Task<List<IngestItem>> ItemsOfAsync(IReadOnlyList<(string Org, string SessionId)> sessions, CancellationToken ct)
    {
        await using var cmd = db.CreateCommand($"""
            select {string.Join(", ", Columns.Split(',').Select(c => "l." + c.Trim()))}
            from ingest_log l join unnest($1::text[], $2::text[]) k(org, session_id) on l.org = k.org and l.session_id = k.session_id
            """);
        cmd.Parameters.AddWithValue(sessions.Select(s => s.Org).ToArray());
        cmd.Parameters.AddWithValue(sessions.Select(s => s.SessionId).ToArray());
        var items = new List<IngestItem>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        string? S(int i) => r.IsDBNull(i) ? null : r.GetString(i);
        while (await r.ReadAsync(ct))
        {
            var (repo, path, app) = (S(20), S(21), S(22));
            items.Add(new IngestItem(r.GetString(0), r.GetString(1), r.GetString(2), (CallKind)r.GetInt16(3), r.GetString(4), r.GetString(5), S(6), S(7),
                new DateTimeOffset(r.GetDateTime(8), TimeSpan.Zero), r.IsDBNull(9) ? null : new DateTimeOffset(r.GetDateTime(9), TimeSpan.Zero),
                r.GetInt64(10), r.GetInt64(11), r.GetInt64(12), r.IsDBNull(13) ? null : r.GetInt32(13), r.GetDecimal(14), r.GetDecimal(15),
                S(16), S(17), S(18), S(19), repo is null && path is null && app is null ? null : new SessionContext(repo, path, app),
                r.IsDBNull(23) ? null : r.GetDouble(23), S(24), r.GetInt64(25)));
        }
        return items;
    }

    public async Task<FoldPosition> PositionAsync(CancellationToken ct)
    {
        await using var cmd = db.CreateCommand("select tx::text, seq from ingest_fold_position where id = 1");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? new FoldPosition(ulong.Parse(r.GetString(0)), r.GetInt64(1)) : FoldPosition.Start;
    }

    /// <summary>
    /// Saves the fold's position, on the connection that holds the folder's lock: a folder whose lock went with its
    /// connection cannot save any more (another silo folds by then), and a position never moves back.
    /// </summary>
    public static async Task SavePositionAsync(NpgsqlConnection lockConnection, FoldPosition position, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("""
            insert into ingest_fold_position (id, tx, seq, folded_at) values (1, $1::text::xid8, $2, clock_timestamp())
            on conflict (id) do update set tx = excluded.tx, seq = excluded.seq, folded_at = excluded.folded_at
            where (ingest_fold_position.tx, ingest_fold_position.seq) < (excluded.tx, excluded.seq)
            """, lockConnection);
        cmd.Parameters.AddWithValue(position.Tx.ToString());
        cmd.Parameters.AddWithValue(position.Seq);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// The items not folded yet and when the oldest arrived (the fold lag is its age), for the whole log or
    /// one provider of one org. Bounded work: admission keeps the unfolded tail short.
    /// </summary>
    public async Task<FoldBacklog> BacklogAsync(string? org = null, string? providerId = null, CancellationToken ct = default)
    {
        await using var cmd = db.CreateCommand("""
            select count(*), min(l.received_at) from ingest_log l, ingest_fold_position p
            where p.id = 1 and (l.tx, l.seq) > (p.tx, p.seq) and ($1::text is null or l.org = $1) and ($2::text is null or l.provider_id = $2)
            """);
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)org ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        cmd.Parameters.Add(new NpgsqlParameter { Value = (object?)providerId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        return new FoldBacklog(r.GetInt64(0), r.IsDBNull(1) ? null : new DateTimeOffset(r.GetDateTime(1), TimeSpan.Zero));
    }

    /// <summary>The position of the last item committed to the log (what "folded up to now" means), or the start when it is empty.</summary>
    public async Task<FoldPosition> HeadAsync(CancellationToken ct = default)
    {
        await using var cmd = db.CreateCommand("select tx::text, seq from ingest_log order by tx desc, seq desc limit 1");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? new FoldPosition(ulong.Parse(r.GetString(0)), r.GetInt64(1)) : FoldPosition.Start;
    }

    /// <summary>
    /// Waits until the fold has passed every item committed when called ("is the log folded up to what was
    /// appended?"), polling the saved position; false when <paramref name="timeout"/> ran out first.
    /// </summary>
    public async Task<bool> WaitFoldedAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        var head = await HeadAsync(ct);
        for (var waited = System.Diagnostics.Stopwatch.StartNew(); (await PositionAsync(ct)).CompareTo(head) < 0; await Task.Delay(50, ct))
            if (waited.Elapsed > timeout) return false;
        return true;
    }
}
