using Flowstate.Attribution;
using Flowstate.Domain;
using Npgsql;

namespace Flowstate.Storage;

/// <summary>One row of the <c>sessions</c> read model.</summary>
public sealed record SessionRow(
    string Id, string? PersonId, string SubjectKey, string ProviderId, string Model, DateTimeOffset StartedAt, DateTimeOffset? EndedAt,
    long InputTokens, long OutputTokens, long CachedInputTokens, long TotalTokens, int? Turns, decimal CostUsd, decimal MarketCostUsd,
    string? ApiKeyId, string? ProjectId, string? ProjectSource, string? Repo, string? Path, string? App, double? Frustration, string? ContextKey)
{
    /// <summary>This session's place in an order of the sessions table.</summary>
    public SessionKeyset KeysetOf(SessionSortField field) => new(field switch
    {
        SessionSortField.StartedAt => StartedAt,
        SessionSortField.Cost => CostUsd,
        SessionSortField.Tokens => TotalTokens,
        _ => Model,
    }, Id, field == SessionSortField.Model ? StartedAt : null);
}

/// <summary>
/// Which sessions a page or count covers: started in [<c>From</c>, <c>Until</c>), narrowed by the
/// filter, the scope's project and person, and (for a team or cost-centre scope) the days its
/// people belonged to it. Every condition must hold.
/// </summary>
public sealed record SessionSelection(
    DateTimeOffset From, DateTimeOffset Until, SessionFilter Filter,
    string? ProjectId = null, string? PersonId = null, IReadOnlyList<MemberInterval>? Members = null);

/// <summary>
/// The SQL of the sessions table: keyset pages in four orders, counts, lookups and marks. Each
/// order has an index <c>(org, sort value, id)</c> (see <c>120-flowstate-attribution.sql</c>), so a
/// page is one index range scan from the cursor, whatever its depth. Text sort keys compare in
/// the "C" collation: byte order, the same in every database and in ordinal .NET comparison.
/// </summary>
public sealed class SessionQueries(NpgsqlDataSource db)
{
    private const string Columns = """
        id, person_id, subject_key, provider_id, model, started_at, ended_at, input_tokens, output_tokens, cached_input_tokens,
        total_tokens, turns, cost_usd, market_cost_usd, api_key_id, project_id, project_source, repo, path, app, frustration, context_key
        """;

    /// <summary>Up to <paramref name="take"/> sessions in the order, after <paramref name="after"/> when given.</summary>
    public async Task<List<SessionRow>> PageAsync(string org, SessionSelection selection, SessionOrder order, SessionKeyset? after, int take)
    {
        if (selection.Members is { Count: 0 }) return [];
        if (order.Field == SessionSortField.Model && selection.Filter.Model is null) return await ModelPageAsync(org, selection, order, after, take);
        var q = new Sql();
        var where = Where(q, org, selection);
        var (keys, dir) = (SortKeys(order.Field), Dir(order));
        if (after is not null) where += $" and ({string.Join(", ", keys)}, id collate \"C\") {After(order)} ({Values(q, order, after)})";
        await using var cmd = q.Command(db, $"""
            select {Columns} from sessions s
            where {where}
            order by {string.Join(", ", keys.Select(k => $"{k} {dir}"))}, id collate "C" {dir}
            limit {q.P(take)}
            """);
        return await ReadAsync(cmd);
    }

    /// <summary>
    /// The MODEL order over several models. In one model the window is one range of
    /// <c>(org, model, started_at, id)</c>, but across models the sessions outside the window would
    /// be scanned too (every model's history before the window). So the page is assembled model by
    /// model: the models after the cursor's, each found by one index probe (a loose index scan), and
    /// at most <paramref name="take"/> sessions from each one's window range; the cost is bounded by
    /// the number of models, not by the history.
    /// </summary>
    private async Task<List<SessionRow>> ModelPageAsync(string org, SessionSelection selection, SessionOrder order, SessionKeyset? after, int take)
    {
        var q = new Sql();
        var where = Where(q, org, selection);
        var (dir, desc) = (Dir(order), order.Direction == SortDirection.Desc);
        var (next, org1) = (desc ? "<" : ">", q.P(org));
        var limit = q.P(take);
        var within = $"order by started_at {dir}, id collate \"C\" {dir} limit {limit}";
        var cursorModel = after is null ? null : q.P(after.Value);
        var first = cursorModel is null ? "" : $"""
            (select {Columns} from sessions s where {where} and model collate "C" = {cursorModel}
                and (started_at, id collate "C") {next} ({q.P(after!.StartedAt!.Value)}, {q.P(after.Id)}) {within})
            union all
            """;
        await using var cmd = q.Command(db, $"""
            with recursive models(model) as (
                (select model collate "C" from sessions where org = {org1} {(cursorModel is null ? "" : $"and model collate \"C\" {next} {cursorModel}")}
                 order by model collate "C" {dir} limit 1)
              union all
                select (select s.model collate "C" from sessions s where s.org = {org1} and s.model collate "C" {next} m.model order by s.model collate "C" {dir} limit 1)
                from models m where m.model is not null
            )
            select * from (
                {first}
                select p.* from models m cross join lateral (
                    select {Columns} from sessions s where {where} and model collate "C" = m.model {within}) p
                where m.model is not null
            ) page
            order by model collate "C" {dir}, started_at {dir}, id collate "C" {dir}
            limit {limit}
            """);
        return await ReadAsync(cmd);
    }

    /// <summary>How many sessions the selection holds: one index range scan over the window.</summary>
    public async Task<int> CountAsync(string org, SessionSelection selection)
    {
        if (selection.Members is { Count: 0 }) return 0;
        var q = new Sql();
        await using var cmd = q.Command(db, $"select count(*) from sessions s where {Where(q, org, selection)}");
        return (int)(long)(await cmd.ExecuteScalarAsync())!;
    }

    public async Task<SessionRow?> GetAsync(string org, string id)
    {
        await using var cmd = db.CreateCommand($"select {Columns} from sessions where org = $1 and id = $2");
        cmd.Parameters.AddWithValue(org);
        cmd.Parameters.AddWithValue(id);
        return (await ReadAsync(cmd)).FirstOrDefault();
    }

    /// <summary>Records a person's mark: the session's project, marked. Idempotent.</summary>
    public async Task MarkProjectAsync(string org, string id, string projectId)
    {
        await using var cmd = db.CreateCommand(
            "update sessions set project_id = $3, project_source = $4 where org = $1 and id = $2");
        cmd.Parameters.AddWithValue(org);
        cmd.Parameters.AddWithValue(id);
        cmd.Parameters.AddWithValue(projectId);
        cmd.Parameters.AddWithValue(SessionRecord.Marked);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>The sort columns of an order before the id; MODEL breaks ties by start time first (see <see cref="SessionKeyset"/>).</summary>
    private static string[] SortKeys(SessionSortField field) => field switch
    {
        SessionSortField.StartedAt => ["started_at"],
        SessionSortField.Cost => ["cost_usd"],
        SessionSortField.Tokens => ["total_tokens"],
        _ => ["model collate \"C\"", "started_at"],
    };

    private static string Values(Sql q, SessionOrder order, SessionKeyset after) => order.Field == SessionSortField.Model
        ? $"{q.P(after.Value)}, {q.P(after.StartedAt!.Value)}, {q.P(after.Id)}"
        : $"{q.P(after.Value)}, {q.P(after.Id)}";

    private static string Dir(SessionOrder order) => order.Direction == SortDirection.Desc ? "desc" : "asc";

    private static string After(SessionOrder order) => order.Direction == SortDirection.Desc ? "<" : ">";

    /// <summary>Only the conditions that apply, each with its own parameter, so the planner sees plain ranges and equalities.</summary>
    private static string Where(Sql q, string org, SessionSelection s)
    {
        var c = new List<string>
        {
            $"org = {q.P(org)}",
            $"started_at >= {q.P(s.From.UtcDateTime)} and started_at < {q.P(s.Until.UtcDateTime)}",
        };
        var f = s.Filter;
        if (f.ProviderId is { } provider) c.Add($"provider_id = {q.P(provider)}");
        if (f.Model is { } model) c.Add($"model = {q.P(model)}");
        foreach (var project in new[] { f.ProjectId, s.ProjectId }.OfType<string>().Distinct()) c.Add($"project_id = {q.P(project)}");
        if (f.UnmatchedOnly) c.Add("project_id is null");
        foreach (var person in new[] { f.PersonId, s.PersonId }.OfType<string>().Distinct()) c.Add($"person_id = {q.P(person)}");
        if (s.Members is { } members)
        {
            // Most people belong for the whole window: a plain "= any" the planner can use with the
            // person index; the few who joined or left mid-window are checked day by day.
            var (from, until) = (DateOnly.FromDateTime(s.From.UtcDateTime), DateOnly.FromDateTime(s.Until.UtcDateTime));
            var partial = members.Where(m => m.From > from || m.Until < until).ToList();
            var whole = members.Except(partial).Select(m => m.PersonId).Distinct().ToArray();
            c.Add($"person_id = any({q.P(members.Select(m => m.PersonId).Distinct().ToArray())})");
            if (partial.Count > 0)
            {
                var days = $"""
                    exists (select 1 from unnest({q.P(partial.Select(m => m.PersonId).ToArray())}::text[],
                        {q.P(partial.Select(m => Midnight(m.From)).ToArray())}::timestamptz[],
                        {q.P(partial.Select(m => Midnight(m.Until)).ToArray())}::timestamptz[]) m(person, since, until)
                      where m.person = s.person_id and s.started_at >= m.since and s.started_at < m.until)
                    """;
                c.Add(whole.Length > 0 ? $"(person_id = any({q.P(whole)}) or {days})" : days);
            }
        }
        return string.Join("\n  and ", c);
    }

    private static DateTime Midnight(DateOnly day) => day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);

    private static async Task<List<SessionRow>> ReadAsync(NpgsqlCommand cmd)
    {
        var rows = new List<SessionRow>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync())
        {
            string? Text(int i) => r.IsDBNull(i) ? null : r.GetString(i);
            rows.Add(new SessionRow(r.GetString(0), Text(1), r.GetString(2), r.GetString(3), r.GetString(4),
                r.GetFieldValue<DateTimeOffset>(5), r.IsDBNull(6) ? null : r.GetFieldValue<DateTimeOffset>(6),
                r.GetInt64(7), r.GetInt64(8), r.GetInt64(9), r.GetInt64(10), r.IsDBNull(11) ? null : r.GetInt32(11),
                r.GetDecimal(12), r.GetDecimal(13), Text(14), Text(15), Text(16), Text(17), Text(18), Text(19),
                r.IsDBNull(20) ? null : r.GetDouble(20), Text(21)));
        }
        return rows;
    }

    /// <summary>Positional parameters for a statement built from parts.</summary>
    private sealed class Sql
    {
        private readonly List<NpgsqlParameter> _parameters = [];

        public string P(object value)
        {
            _parameters.Add(new NpgsqlParameter { Value = value is DateTimeOffset instant ? instant.UtcDateTime : value });
            return "$" + _parameters.Count;
        }

        public NpgsqlCommand Command(NpgsqlDataSource db, string text)
        {
            var cmd = db.CreateCommand(text);
            cmd.Parameters.AddRange(_parameters.ToArray());
            return cmd;
        }
    }
}
