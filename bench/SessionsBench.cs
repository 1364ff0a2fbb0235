using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Npgsql;

namespace Flowstate.Bench;

/// <summary>
/// The sessions table under load: p50/p99 of the first page and of a deep page (reached by
/// following cursors) for a few orders and scopes, with and without totalCount, over HTTP end to
/// end. Call it after loading sessions: <c>await SessionsBench.RunAsync(http, db);</c>
/// </summary>
public static class SessionsBench
{
    private sealed record Case(string Name, object? Scope, object? Filter, object OrderBy);

    /// <param name="http">A client of the silo's GraphQL endpoint (BaseAddress set).</param>
    /// <param name="connectionString">The silo's database: the benchmark reads the size of the load and picks busy scopes from it.</param>
    /// <param name="deepPage">The page measured as "deep", reached through that many cursors.</param>
    /// <param name="costCentreId">A cost centre to measure; by default the one with the most spend in the drill-down.</param>
    /// <param name="teamId">A team to measure; by default that cost centre's first-level team with the most spend.</param>
    public static async Task RunAsync(HttpClient http, string connectionString, string org = "demo", string range = "LAST_30_DAYS",
                                      int pageSize = 50, int deepPage = 200, int samples = 20, string? costCentreId = null, string? teamId = null)
    {
        await using var db = NpgsqlDataSource.Create(connectionString);
        var total = await ScalarAsync<long>(db, "select count(*) from sessions where org = $1", org);
        if (total == 0) { Console.WriteLine($"sessions: org '{org}' has no sessions to page through."); return; }
        var asOf = DateOnly.FromDateTime(await ScalarAsync<DateTime>(db, "select max(started_at) from sessions where org = $1", org));
        var person = await ScalarAsync<string>(db, "select person_id from sessions where org = $1 and person_id is not null group by 1 order by count(*) desc limit 1", org);
        var project = await ScalarAsync<string>(db, "select project_id from sessions where org = $1 and project_id is not null group by 1 order by count(*) desc limit 1", org);
        var (costCentre, team) = costCentreId is not null || teamId is not null ? (costCentreId, teamId) : await BusiestTeamAsync(http, asOf);

        var cases = new List<Case>
        {
            new("org, STARTED_AT DESC", null, null, new { field = "STARTED_AT", direction = "DESC" }),
            new("org, COST DESC", null, null, new { field = "COST", direction = "DESC" }),
            new("org, TOKENS ASC", null, null, new { field = "TOKENS", direction = "ASC" }),
            new("org, MODEL ASC", null, null, new { field = "MODEL", direction = "ASC" }),
            new("org unmatched, COST DESC", null, new { unmatchedOnly = true }, new { field = "COST", direction = "DESC" }),
        };
        if (costCentre is not null) cases.Add(new($"cost centre {costCentre}, COST DESC", new { costCentreId = costCentre }, null, new { field = "COST", direction = "DESC" }));
        if (team is not null) cases.Add(new($"team {team}, STARTED_AT DESC", new { teamId = team }, null, new { field = "STARTED_AT", direction = "DESC" }));
        if (project is not null) cases.Add(new($"project {project}, COST DESC", new { projectId = project }, null, new { field = "COST", direction = "DESC" }));
        if (person is not null) cases.Add(new($"person {person}, TOKENS DESC", new { personId = person }, null, new { field = "TOKENS", direction = "DESC" }));

        Console.WriteLine();
        Console.WriteLine($"Sessions table — {total:N0} sessions in org '{org}', window {range} to {asOf:yyyy-MM-dd}, {pageSize} per page, " +
                          $"{samples} samples per figure, ms over HTTP (p50 / p99)");
        Row("case", "in scope", "first page", "+ totalCount", "+ incremental", "deep page", "page", "+ totalCount");
        foreach (var c in cases)
        {
            async Task<JsonNode> PageAsync(string? after, bool count = false, bool incremental = false) =>
                (await GqlAsync(http, Query(count, incremental), new { scope = c.Scope, range, asOf = asOf.ToString("yyyy-MM-dd"), filter = c.Filter, orderBy = c.OrderBy, first = pageSize, after }))["sessions"]!;

            var inScope = (int)(await PageAsync(null, count: true))["totalCount"]!;
            var first = await TimeAsync(samples, () => PageAsync(null));
            var firstCount = await TimeAsync(samples, () => PageAsync(null, count: true));
            var firstIncremental = await TimeAsync(samples, () => PageAsync(null, incremental: true));

            // Follow cursors to the deep page (or the last page there is).
            string? cursor = null;
            var reached = 1;
            for (; reached < deepPage; reached++)
            {
                var info = (await PageAsync(cursor))["pageInfo"]!;
                if (!(bool)info["hasNextPage"]!) break;
                cursor = (string)info["endCursor"]!;
            }
            var deep = await TimeAsync(samples, () => PageAsync(cursor));
            var deepCount = await TimeAsync(samples, () => PageAsync(cursor, count: true));
            Row(c.Name, $"{inScope:N0}", first, firstCount, firstIncremental, deep, $"p{reached}", deepCount);
        }
    }

    private static string Query(bool count, bool incremental) => $$"""
        query($scope: ScopeInput, $range: DateRange, $asOf: Date, $filter: SessionFilter, $orderBy: SessionOrder, $first: Int, $after: String) {
          sessions(scope: $scope, range: $range, asOf: $asOf, filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
            {{(count ? "totalCount" : "")}} pageInfo { hasNextPage endCursor }
            edges { node { id startedAt model costUsd marketCostUsd {{(incremental ? "incrementalCostUsd" : "")}} totalTokens person { id } project { id } } } } }
        """;

    /// <summary>The org's cost centre with the most spend, and its first-level team with the most (from the attribution drill-down).</summary>
    private static async Task<(string? CostCentre, string? Team)> BusiestTeamAsync(HttpClient http, DateOnly asOf)
    {
        const string Children = "query($scope: ScopeInput, $asOf: Date) { attribution(scope: $scope, asOf: $asOf) { children { scope { level id } } } }";
        static string? Top(JsonNode data, string level) => data["attribution"]!["children"]!.AsArray()
            .Select(c => c!["scope"]!).FirstOrDefault(s => (string?)s!["level"] == level && s["id"] is not null)?["id"]?.GetValue<string>();
        var day = asOf.ToString("yyyy-MM-dd");
        var cc = Top(await GqlAsync(http, Children, new { asOf = day }), "COST_CENTRE");
        return cc is null ? (null, null) : (cc, Top(await GqlAsync(http, Children, new { scope = new { costCentreId = cc }, asOf = day }), "TEAM"));
    }

    private static async Task<double[]> TimeAsync(int samples, Func<Task> call)
    {
        await call(); // warm: activations, plan cache, buffers
        var times = new double[samples];
        for (var i = 0; i < samples; i++)
        {
            var t = Stopwatch.GetTimestamp();
            await call();
            times[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        }
        Array.Sort(times);
        return times;
    }

    private static async Task<JsonNode> GqlAsync(HttpClient http, string query, object variables)
    {
        using var response = await http.PostAsJsonAsync("/graphql", new { query, variables });
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        if (!response.IsSuccessStatusCode || body?["errors"] is not null || body?["data"] is null) throw new InvalidOperationException($"GraphQL failed: {body}");
        return body["data"]!;
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource db, string sql, string org)
    {
        await using var cmd = db.CreateCommand(sql);
        cmd.Parameters.AddWithValue(org);
        return await cmd.ExecuteScalarAsync() is T value ? value : default!;
    }

    private static string Pct(double[] sorted, double p) =>
        sorted.Length == 0 ? "" : $"{sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p / 100 * sorted.Length) - 1)]:0.0}";

    private static string Fig(double[] t) => $"{Pct(t, 50)} / {Pct(t, 99)}";

    private static void Row(string name, string inScope, object first, object firstCount, object firstIncremental, object deep, string reached, object deepCount)
    {
        static string S(object o) => o is double[] t ? Fig(t) : (string)o;
        Console.WriteLine($"{name,-34} {inScope,10}  {S(first),13}  {S(firstCount),13}  {S(firstIncremental),13}  {S(deep),13} {reached,5}  {S(deepCount),13}");
    }
}
