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

/// <summary>The <c>sessions</c> read model: one row per accepted session, inserted idempotently in bulk.</summary>
public sealed class SessionStore(NpgsqlDataSource db)
{
    public async Task InsertAsync(string org, IReadOnlyList<SessionRecord> sessions)
    {
        if (sessions.Count == 0) return;
        await using var cmd = db.CreateCommand("""
            insert into sessions (org, id, person_id, subject_key, provider_id, model, started_at, ended_at,
                input_tokens, output_tokens, cached_input_tokens, turns, cost_usd, market_cost_usd,
                api_key_id, project_id, repo, path, app, frustration, project_source, context_key)
            select $1, * from unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::timestamptz[],
                $9::bigint[], $10::bigint[], $11::bigint[], $12::int[], $13::numeric[], $14::numeric[],
                $15::text[], $16::text[], $17::text[], $18::text[], $19::text[], $20::float8[], $21::text[], $22::text[])
            on conflict (org, id) do nothing
            """);
        T[] Col<T>(Func<SessionRecord, T> f) => sessions.Select(f).ToArray();
        cmd.Parameters.AddWithValue(org);
        cmd.Parameters.AddWithValue(Col(s => s.Request.Id!));
        cmd.Parameters.AddWithValue(Col(s => s.PersonId));
        cmd.Parameters.AddWithValue(Col(s => s.SubjectKey));
        cmd.Parameters.AddWithValue(Col(s => s.Request.ProviderId!));
        cmd.Parameters.AddWithValue(Col(s => s.Request.Model!));
        cmd.Parameters.AddWithValue(Col(s => s.Request.StartedAt!.Value.UtcDateTime));
        cmd.Parameters.AddWithValue(Col(s => s.Request.EndedAt?.UtcDateTime));
        cmd.Parameters.AddWithValue(Col(s => s.Request.InputTokens));
        cmd.Parameters.AddWithValue(Col(s => s.Request.OutputTokens));
        cmd.Parameters.AddWithValue(Col(s => s.Request.CachedInputTokens));
        cmd.Parameters.AddWithValue(Col(s => s.Request.Turns));
        cmd.Parameters.AddWithValue(Col(s => s.CostUsd));
        cmd.Parameters.AddWithValue(Col(s => s.MarketCostUsd));
        cmd.Parameters.AddWithValue(Col(s => s.Request.ApiKeyId));
        cmd.Parameters.AddWithValue(Col(s => s.ProjectId));
        cmd.Parameters.AddWithValue(Col(s => s.Request.Context?.Repo));
        cmd.Parameters.AddWithValue(Col(s => s.Request.Context?.Path));
        cmd.Parameters.AddWithValue(Col(s => s.Request.Context?.App));
        cmd.Parameters.AddWithValue(Col(s => s.Request.Frustration));
        cmd.Parameters.AddWithValue(Col(s => s.ProjectSource));
        cmd.Parameters.AddWithValue(Col(s => s.ContextKey));
        await cmd.ExecuteNonQueryAsync();
    }
}
