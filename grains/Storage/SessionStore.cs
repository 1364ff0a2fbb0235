using Flowstate.Ingestion;
using Flowstate.Usage;
using Npgsql;

namespace Flowstate.Storage;

/// <summary>
/// A priced, resolved session ready for its partition and the sessions read model: its project
/// as the agent sent it or as inferred from its working context (<see cref="ContextKey"/>).
/// </summary>
public sealed record SessionRecord(SessionRequest Request, string SubjectKey, string? PersonId, decimal CostUsd, decimal MarketCostUsd,
    string? ProjectId = null, string? ProjectSource = null, string? ContextKey = null)
{
    public const string FromAgent = "agent", Inferred = "inferred", Marked = "marked";

    public SessionFact ToFact() => new(Request.Id!, Request.StartedAt!.Value, CostUsd, MarketCostUsd, Request.Model!, ProjectId,
        Request.InputTokens + Request.OutputTokens + Request.CachedInputTokens, Request.Frustration);
}

/// <summary>
/// The <c>sessions</c> read model, written by the fold (<see cref="IngestFold"/>): one row per session
/// as its ingest-log items add up. A session's prompt and response are stored apart
/// (<c>session_content</c>, DESIGN §7) with its first append to the log (<see cref="IngestLogStore.AppendAsync"/>).
/// </summary>
public sealed class SessionStore(NpgsqlDataSource db)
{
    /// <summary>What a session row held before a fold replaced it: where it was partitioned, and a project someone marked.</summary>
    public sealed record PreviousRow(string Org, string Id, string ProviderId, string SubjectKey, DateTimeOffset StartedAt, string? ApiKeyId,
        string? ProjectId, string? ProjectSource);

    /// <summary>
    /// Writes folded sessions as they now add up (insert, or replace the sums of a session that grew),
    /// keeping a project someone marked. Returns the rows as they were before, for the sessions that existed.
    /// </summary>
    public async Task<List<PreviousRow>> UpsertFoldedAsync(IReadOnlyList<FoldedSession> sessions, CancellationToken ct = default)
    {
        var previous = new List<PreviousRow>();
        if (sessions.Count == 0) return previous;
        await using var cmd = db.CreateCommand("""
            with input as (
                select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::timestamptz[],
                    $9::bigint[], $10::bigint[], $11::bigint[], $12::int[], $13::numeric[], $14::numeric[],
                    $15::text[], $16::text[], $17::text[], $18::text[], $19::text[], $20::float8[], $21::text[], $22::text[])
                  as t(org, id, person_id, subject_key, provider_id, model, started_at, ended_at, input_tokens, output_tokens, cached_input_tokens,
                       turns, cost_usd, market_cost_usd, api_key_id, project_id, repo, path, app, frustration, project_source, context_key)),
            previous as (
                select s.org, s.id, s.provider_id, s.subject_key, s.started_at, s.api_key_id, s.project_id, s.project_source
                from sessions s join input i on s.org = i.org and s.id = i.id),
            written as (
                insert into sessions (org, id, person_id, subject_key, provider_id, model, started_at, ended_at,
                    input_tokens, output_tokens, cached_input_tokens, turns, cost_usd, market_cost_usd,
                    api_key_id, project_id, repo, path, app, frustration, project_source, context_key)
                select * from input
                on conflict (org, id) do update set person_id = excluded.person_id, subject_key = excluded.subject_key,
                    provider_id = excluded.provider_id, model = excluded.model, started_at = excluded.started_at, ended_at = excluded.ended_at,
                    input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens, cached_input_tokens = excluded.cached_input_tokens,
                    turns = excluded.turns, cost_usd = excluded.cost_usd, market_cost_usd = excluded.market_cost_usd, api_key_id = excluded.api_key_id,
                    project_id = case when sessions.project_source = 'marked' then sessions.project_id else excluded.project_id end,
                    project_source = case when sessions.project_source = 'marked' then sessions.project_source else excluded.project_source end,
                    repo = excluded.repo, path = excluded.path, app = excluded.app, frustration = excluded.frustration, context_key = excluded.context_key
                returning 1)
            select * from previous
            """);
        // Sorted so that concurrent writers lock rows in one order (no deadlocks).
        var rows = sessions.OrderBy(s => s.Org, StringComparer.Ordinal).ThenBy(s => s.Id, StringComparer.Ordinal).ToList();
        T[] Col<T>(Func<FoldedSession, T> f) => rows.Select(f).ToArray();
        var p = cmd.Parameters;
        p.AddWithValue(Col(s => s.Org));
        p.AddWithValue(Col(s => s.Id));
        p.AddWithValue(Col(s => s.PersonId));
        p.AddWithValue(Col(s => s.SubjectKey));
        p.AddWithValue(Col(s => s.ProviderId));
        p.AddWithValue(Col(s => s.Model));
        p.AddWithValue(Col(s => s.StartedAt.UtcDateTime));
        p.AddWithValue(Col(s => s.EndedAt?.UtcDateTime));
        p.AddWithValue(Col(s => s.InputTokens));
        p.AddWithValue(Col(s => s.OutputTokens));
        p.AddWithValue(Col(s => s.CachedInputTokens));
        p.AddWithValue(Col(s => s.Turns));
        p.AddWithValue(Col(s => s.CostUsd));
        p.AddWithValue(Col(s => s.MarketCostUsd));
        p.AddWithValue(Col(s => s.ApiKeyId));
        p.AddWithValue(Col(s => s.ProjectId));
        p.AddWithValue(Col(s => s.Context?.Repo));
        p.AddWithValue(Col(s => s.Context?.Path));
        p.AddWithValue(Col(s => s.Context?.App));
        p.AddWithValue(Col(s => s.Frustration));
        p.AddWithValue(Col(s => s.ProjectSource));
        p.AddWithValue(Col(s => s.ContextKey));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
            previous.Add(new PreviousRow(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), new DateTimeOffset(r.GetDateTime(4), TimeSpan.Zero),
                r.IsDBNull(5) ? null : r.GetString(5), r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7)));
        return previous;
    }
}
