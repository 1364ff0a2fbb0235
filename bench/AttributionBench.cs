using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Flowstate;
using Flowstate.Attribution;
using Flowstate.Ingestion;
using Flowstate.Providers;
using Flowstate.Silo.Hosting;
using Flowstate.Silo.Options;
using Flowstate.Storage;
using Flowstate.Workforce;
using Npgsql;

namespace Flowstate.Bench;

/// <summary>
/// The attribution benchmark: an org of 5,000 people in 300 teams with 1,000,000 sessions over a
/// year, loaded through the real ingestion path. Prints, side by side, the latency of
/// <c>attribution</c> over HTTP at org, cost-centre, team and person scope for 30 days and a year,
/// and of the same figures computed by the SQL a team would write instead (one GROUPING SETS
/// query over the sessions table joined to FTE allocations, in the same PostgreSQL); then the
/// memory the silo holds for the rollups, measured on a fresh silo before and after loading them;
/// then the sessions table's first and deep pages (<see cref="SessionsBench"/>) on the same load.
/// Usage: ./flowstate bench attribution [--people 5000] [--teams 300] [--sessions 1000000] [--iterations 40]
/// </summary>
public static class AttributionBench
{
    private const string Org = "attr";
    private static readonly string[] Providers = ["claude", "cursor"];
    private static readonly string[][] Models = [["claude-sonnet", "claude-opus", "claude-haiku"], ["auto", "gpt-5", "composer"]];

    private const string ViewQuery = """
        query($scope: ScopeInput, $range: DateRange, $asOf: Date) { attribution(scope: $scope, range: $range, costMode: MARKET, asOf: $asOf) {
          total byProvider { key amount } byProject { key amount } byCostCentre { key amount } topSpenders(first: 10) { key name amount }
          frustrationByModel { model frustration sessions } coverage { headcount reporting ratio } children { scope { id name } amount } } }
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        int Arg(string name, int fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() is { } v ? int.Parse(v) : fallback;
        var peopleCount = Arg("--people", 5000);
        var teamCount = Arg("--teams", 300);
        var sessionCount = Arg("--sessions", 1_000_000);
        var iterations = Arg("--iterations", 40);

        var server = Environment.GetEnvironmentVariable("FLOWSTATE_DB") ?? throw new InvalidOperationException("FLOWSTATE_DB is required (./flowstate bench sets it).");
        var db = new NpgsqlConnectionStringBuilder(server) { Database = "flowstate_bench_attribution" }.ConnectionString;
        // --reuse measures again on the load an earlier run left (same sizes), skipping the long load.
        var reuse = args.Contains("--reuse") && await LoadedSessionsAsync(db) == sessionCount / peopleCount * peopleCount;
        if (!reuse) await BenchHost.ResetAsync(db);
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var world = new World(new Random(7), peopleCount, teamCount, today);

        Console.WriteLine($"Flowstate attribution benchmark — {Environment.ProcessorCount} cores, PostgreSQL local, in-process silo");
        Console.WriteLine($"org: {peopleCount:N0} people, {teamCount} teams (depth ≤ 5), {world.CostCentres.Count} cost centres, {world.Projects.Count} projects; {sessionCount:N0} sessions over 365 days");

        var silo = await Silo.StartAsync(db);
        if (!reuse) await LoadAsync(silo, world, sessionCount, db);

        // Memory: a fresh silo on the same database, before and after the rollups are loaded.
        await silo.DisposeAsync();
        silo = await Silo.StartAsync(db);
        var before = HeapBytes();
        var cold = Stopwatch.StartNew();
        await silo.QueryAsync(ViewQuery, new { range = "LAST_YEAR" });
        var coldOrg = cold.Elapsed.TotalMilliseconds;
        var scopes = world.AllScopes().ToList();
        cold.Restart();
        await Throughput(scopes, 4, s => silo.QueryAsync(ViewQuery, new { scope = s, range = "LAST_YEAR" }));
        var coldAll = cold.Elapsed.TotalSeconds;
        var after = HeapBytes();
        var sizes = await Task.WhenAll(world.RollupKeys(today).Select(k => silo.Grains.GetGrain<IRollupGrain>(k).GetSizeAsync()));

        // Warm latencies, rollups and SQL, over the same scopes. "Fresh" moves asOf back a day per
        // query, so every window (and its partial months) is new to the caches; "repeat" asks again
        // what a dashboard already asked, answered from versioned caches.
        await using var sql = NpgsqlDataSource.Create(db);
        Console.WriteLine();
        Console.WriteLine($"{"attribution, MARKET",-20} {"fresh p50 / p99 ms",20} {"repeat p50 / p99 ms",21} {"SQL GROUP BY p50 / p99 ms",27} {"SQL ÷ fresh",12}   target");
        foreach (var (kind, pick) in world.ScopeKinds())
        foreach (var range in new[] { "LAST_30_DAYS", "LAST_YEAR" })
        {
            async Task<double[]> TimeAsync(Func<int, Task> query)
            {
                var times = new List<double>();
                for (var i = 0; i < iterations; i++)
                {
                    var t = Stopwatch.GetTimestamp();
                    await query(i);
                    times.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                }
                return times.Order().ToArray();
            }
            var fresh = await TimeAsync(i => silo.QueryAsync(ViewQuery, new { scope = pick(i), range, asOf = today.AddDays(-1 - i).ToString("yyyy-MM-dd") }));
            var repeat = await TimeAsync(i => silo.QueryAsync(ViewQuery, new { scope = pick(i % 4), range, asOf = today.ToString("yyyy-MM-dd") }));
            var sqlTimes = new List<double>();
            var sqlRuns = range == "LAST_YEAR" && kind is "org" or "cost centre" ? Math.Min(iterations, 8) : Math.Min(iterations, 20);
            for (var i = 0; i < sqlRuns; i++)
            {
                var t = Stopwatch.GetTimestamp();
                await world.SqlViewAsync(sql, pick(i), today.AddDays(-1 - i), range == "LAST_YEAR" ? 365 : 30);
                sqlTimes.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            }
            var s = sqlTimes.Order().ToArray();
            var target = kind == "org" && range == "LAST_YEAR" ? "≥ 20× faster, p99 ≤ 25 ms" : "p99 ≤ 25 ms";
            Console.WriteLine($"{kind + ", " + (range == "LAST_YEAR" ? "1Y" : "30d"),-20} {$"{Pct(fresh, 50):0.0} / {Pct(fresh, 99):0.0}",20} {$"{Pct(repeat, 50):0.0} / {Pct(repeat, 99):0.0}",21} " +
                              $"{$"{Pct(s, 50):0.0} / {Pct(s, 99):0.0}",27} {Pct(s, 50) / Pct(fresh, 50),11:0}×   {target}");
        }
        Console.WriteLine();
        Console.WriteLine($"rollup memory: {(after - before) / 1048576.0:N0} MB of managed heap for {sizes.Length:N0} month rollups holding {sizes.Sum(x => x.Cells):N0} cells of {sizes.Sum(x => x.Subjects):N0} subject contributions");
        Console.WriteLine($"cold start: first org/1Y query {coldOrg:N0} ms (loads 13 org rollups from PostgreSQL); all {scopes.Count:N0} scopes for 1Y cold in {coldAll:N1} s");
        Console.WriteLine();
        await SessionsBench.RunAsync(silo.Http, db, Org);
        await silo.DisposeAsync();
        return 0;
    }

    /// <summary>The org, its providers and its sessions through the real ingestion path, then the SQL alternative's tables.</summary>
    private static async Task LoadAsync(Silo silo, World world, int sessionCount, string db)
    {
        var seconds = await LoadSessionsAsync(silo, world, sessionCount, db);
        Console.WriteLine($"loaded {sessionCount:N0} sessions in {seconds:N0} s: {sessionCount / seconds:N0} sessions/s through the ingest log, folded into sessions, partitions, subject-months and rollups");
        await world.WriteSqlBaselineTablesAsync(db);
    }

    /// <summary>
    /// Loads the world's sessions (batches of 1,000 in person order, as an agent sends one person's sessions, 8 in
    /// flight, acknowledged once durable) and waits until the fold has made all of them visible; the seconds it took.
    /// </summary>
    private static async Task<double> LoadSessionsAsync(Silo silo, World world, int sessionCount, string db)
    {
        var grains = silo.Grains;
        await grains.GetGrain<IOrgGrain>(Org).UpsertWorkforceAsync(world.Workforce());
        foreach (var p in world.ProviderConfigs()) await grains.GetGrain<IProviderGrain>(GrainKeys.Join(Org, p.Id)).ConfigureAsync(p);

        var ingestion = grains.GetGrain<IIngestionGrain>(Org);
        var loaded = 0;
        var load = Stopwatch.StartNew();
        await Throughput(world.Sessions(sessionCount).Chunk(1000), 8, async batch =>
        {
            while (true)
            {
                try
                {
                    var result = await ingestion.IngestSessionsAsync(batch, IngestWait.Durable);
                    if (result.Rejected.Count > 0) throw new InvalidOperationException(result.Rejected[0].Message);
                    break;
                }
                catch (IngestOverloadedException) { await Task.Delay(TimeSpan.FromSeconds(int.Parse(IngestOverloadedException.RetryAfterSeconds))); }
            }
            if (Interlocked.Add(ref loaded, batch.Length) % 100_000 < batch.Length)
                Console.WriteLine($"  acknowledged {loaded:N0} sessions ({loaded / load.Elapsed.TotalSeconds:N0}/s)");
        });
        Console.WriteLine($"  all acknowledged after {load.Elapsed.TotalSeconds:N0} s; waiting for the fold");
        await using var data = NpgsqlDataSource.Create(db);
        if (!await new IngestLogStore(data).WaitFoldedAsync(TimeSpan.FromHours(1))) throw new TimeoutException("the fold did not catch up within an hour");
        return load.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// For the ingest bench: a year of a <paramref name="people"/>-person org loaded on a fresh database, and the org's
    /// attribution (1Y, MARKET) over HTTP beside the same figure summed from the raw ingest log.
    /// </summary>
    internal static async Task<(double Seconds, decimal Attribution, decimal Raw)> LoadYearAsync(string db, int people, int teams, int sessionCount)
    {
        await BenchHost.ResetAsync(db);
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var world = new World(new Random(7), people, teams, today);
        Console.WriteLine($"year: {people:N0} people, {teams} teams, {sessionCount:N0} sessions over 365 days");
        await using var silo = await Silo.StartAsync(db);
        var watch = Stopwatch.StartNew();
        var folded = await LoadSessionsAsync(silo, world, sessionCount, db);
        // Rollups are pushed on from the partitions once those are stored: wait (bounded) until attribution has them all.
        await using var data = NpgsqlDataSource.Create(db);
        await using var cmd = data.CreateCommand("select coalesce(sum(market_cost_usd), 0) from ingest_log where org = $1 and started_at >= $2");
        cmd.Parameters.AddWithValue(Org);
        cmd.Parameters.AddWithValue(today.AddDays(-364).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc));
        var raw = (decimal)(await cmd.ExecuteScalarAsync())!;
        decimal attribution = 0;
        for (var waited = Stopwatch.StartNew(); waited.Elapsed < TimeSpan.FromMinutes(10); await Task.Delay(500))
            if ((attribution = await silo.TotalAsync()) == raw) break;
        var seconds = watch.Elapsed.TotalSeconds;
        Console.WriteLine($"year: folded into sessions and partitions after {folded:N0} s, attribution complete after {seconds:N0} s ({sessionCount / seconds:N0} sessions/s end to end)");
        return (seconds, attribution, raw);
    }

    private static async Task<long> LoadedSessionsAsync(string db)
    {
        try
        {
            await using var source = NpgsqlDataSource.Create(db);
            await using var cmd = source.CreateCommand("select count(*) from sessions where org = $1");
            cmd.Parameters.AddWithValue(Org);
            return (long)(await cmd.ExecuteScalarAsync())!;
        }
        catch (PostgresException) { return -1; }   // no such database yet
    }

    private static long HeapBytes()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static double Pct(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p / 100 * sorted.Length) - 1)];

    private static async Task Throughput<T>(IEnumerable<T> items, int parallel, Func<T, Task> work)
    {
        using var e = items.GetEnumerator();
        var gate = new object();
        await Task.WhenAll(Enumerable.Range(0, parallel).Select(async _ =>
        {
            while (true)
            {
                T item;
                lock (gate)
                {
                    if (!e.MoveNext()) return;
                    item = e.Current;
                }
                await work(item);
            }
        }));
    }

    internal static async Task DropDatabaseAsync(string cs)
    {
        var admin = new NpgsqlConnectionStringBuilder(cs) { Database = "postgres", Pooling = false };
        await using var conn = new NpgsqlConnection(admin.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"drop database if exists \"{new NpgsqlConnectionStringBuilder(cs).Database}\" with (force)", conn);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>An in-process silo with its HTTP endpoint.</summary>
    private sealed class Silo : IAsyncDisposable
    {
        private WebApplication _app = null!;
        private HttpClient _http = null!;
        public IGrainFactory Grains { get; private set; } = null!;
        public HttpClient Http => _http;

        public static async Task<Silo> StartAsync(string db)
        {
            var options = new FlowstateOptions { Http = "http://127.0.0.1:5191", Database = db, MaxConnections = 40, Demo = false, SiloPort = 11191, GatewayPort = 30191 };
            var builder = WebApplication.CreateBuilder(BenchIdentity.Development);
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            var app = builder.AddFlowstate(options).Build();
            app.MapFlowstate(options);
            await app.StartAsync();
            return new Silo
            {
                _app = app,
                _http = await new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 16 }) { BaseAddress = new Uri(options.Http) }.SignInAsync(db, Org),
                Grains = app.Services.GetRequiredService<IGrainFactory>(),
            };
        }

        public async Task QueryAsync(string query, object variables)
        {
            using var response = await _http.PostAsJsonAsync("/graphql", new { query, variables });
            var body = await response.Content.ReadFromJsonAsync<JsonObject>();
            if (!response.IsSuccessStatusCode || body?["errors"] is not null) throw new InvalidOperationException($"GraphQL failed: {body}");
        }

        /// <summary>The org's attribution total for the last year in MARKET mode.</summary>
        public async Task<decimal> TotalAsync()
        {
            using var response = await _http.PostAsJsonAsync("/graphql", new { query = "{ attribution(range: LAST_YEAR, costMode: MARKET) { total } }" });
            var body = await response.Content.ReadFromJsonAsync<JsonObject>();
            return decimal.Parse(body!["data"]!["attribution"]!["total"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        }

        public async ValueTask DisposeAsync()
        {
            _http.Dispose();
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    /// <summary>The generated org: cost centres, a team tree, people with FTE allocations, projects, and their sessions.</summary>
    private sealed class World
    {
        private readonly Random _random;
        private readonly DateOnly _today;
        public List<CostCentre> CostCentres { get; } = [];
        public List<Team> Teams { get; } = [];
        public List<Person> People { get; } = [];
        public List<Project> Projects { get; } = [];
        private readonly Dictionary<string, string> _ccOf = [];
        private readonly Dictionary<string, List<string>> _projectsOfTeam = [];

        public World(Random random, int people, int teams, DateOnly today)
        {
            (_random, _today) = (random, today);
            for (var i = 0; i < 12; i++) CostCentres.Add(new CostCentre($"cc{i}", $"Cost centre {i}"));
            for (var i = 0; i < 40; i++) Projects.Add(new Project($"proj{i}", $"Project {i}", [$"github.com/acme/repo-{i}"]));
            var depth = new Dictionary<string, int>();
            for (var i = 0; i < teams; i++)
            {
                var candidates = Teams.Where(t => depth[t.Id] < 4).ToList();
                var parent = i < CostCentres.Count || candidates.Count == 0 ? null : candidates[random.Next(candidates.Count)];
                var team = new Team($"t{i}", $"Team {i}", parent?.Id, parent is null ? CostCentres[i % CostCentres.Count].Id : null, null);
                Teams.Add(team);
                depth[team.Id] = parent is null ? 0 : depth[parent.Id] + 1;
                _ccOf[team.Id] = parent is null ? team.CostCentreId! : _ccOf[parent.Id];
                _projectsOfTeam[team.Id] = Enumerable.Range(0, 3).Select(_ => Projects[random.Next(Projects.Count)].Id).Distinct().ToList();
            }
            var from = today.AddDays(-400);
            for (var i = 0; i < people; i++)
            {
                var (home, other) = (Teams[random.Next(Teams.Count)].Id, Teams[random.Next(Teams.Count)].Id);
                List<Allocation> allocations = random.Next(100) < 15 && other != home   // 15% split their time between two teams
                    ? [new Allocation(home, 0.5m, from), new Allocation(other, 0.5m, from)]
                    : [new Allocation(home, 1m, from)];
                People.Add(new Person($"p{i}", $"p{i}@acme.example", $"Person {i}", PersonKind.Employee, allocations));
            }
        }

        public WorkforceUpsert Workforce() => new(CostCentres, Teams, People, Projects, []);

        public IEnumerable<ProviderConfig> ProviderConfigs()
        {
            var from = _today.AddDays(-800);
            yield return new ProviderConfig("claude", "Claude API", "chat", new ProviderPlan(0m, 0m, 0.1m),
                [new ModelPrice("claude-sonnet", 3m, 15m, 0.3m, from), new ModelPrice("claude-opus", 5m, 25m, 0.5m, from), new ModelPrice("claude-haiku", 1m, 5m, 0.1m, from)],
                MatchTolerance.Default);
            yield return new ProviderConfig("cursor", "Cursor", "coding", new ProviderPlan(40m, 20m, 0m),
                [new ModelPrice("auto", 1.25m, 6m, 0.25m, from), new ModelPrice("gpt-5", 1.25m, 10m, 0.125m, from), new ModelPrice("composer", 1.25m, 10m, 0.125m, from)],
                MatchTolerance.Default);
        }

        /// <summary>Each person's sessions over the last 365 days, in time order, person after person.</summary>
        public IEnumerable<SessionRequest> Sessions(int count)
        {
            var perPerson = count / People.Count;
            var start = _today.AddDays(-364).ToDateTime(TimeOnly.MinValue);
            var n = 0;
            foreach (var person in People)
            {
                var random = new Random(n);
                var projects = _projectsOfTeam[person.Allocations[0].TeamId];
                var starts = Enumerable.Range(0, perPerson).Select(_ => new DateTimeOffset(start.AddMinutes(random.Next(365 * 24 * 60)), TimeSpan.Zero)).Order();
                foreach (var at in starts)
                {
                    var provider = random.Next(3) == 0 ? 1 : 0;
                    var repo = random.Next(10) < 7 ? $"github.com/acme/repo-{projects[random.Next(projects.Count)][4..]}" : "github.com/acme/scratch";
                    yield return new SessionRequest($"s{n++}", person.Id, Providers[provider], Models[provider][random.Next(3)], at, at.AddMinutes(20),
                        random.Next(2_000, 60_000), random.Next(200, 6_000), random.Next(0, 20_000), random.Next(1, 30), null, null, null,
                        new SessionContext(repo, null, null), Math.Round(random.NextDouble() * 0.6, 2), []);
                }
            }
        }

        public IEnumerable<object> AllScopes() =>
            CostCentres.Select(c => (object)new { costCentreId = c.Id })
                .Concat(Teams.Select(t => (object)new { teamId = t.Id }))
                .Concat(Projects.Select(p => (object)new { projectId = p.Id }));

        public IEnumerable<string> RollupKeys(DateOnly today)
        {
            var months = Enumerable.Range(0, 13).Select(i => Period.Of(today.AddMonths(-i))).Distinct().ToList();
            var scopes = new[] { Attribution.RollupKeys.Org }.Concat(CostCentres.Select(c => Attribution.RollupKeys.CostCentre(c.Id)))
                .Concat(Teams.Select(t => Attribution.RollupKeys.Team(t.Id))).Concat(Projects.Select(p => Attribution.RollupKeys.Project(p.Id)));
            return scopes.SelectMany(s => months.Select(m => Attribution.RollupKeys.Rollup(Org, s, m)));
        }

        /// <summary>The scope kinds of the table, each with a way to pick its i-th sample (mid-level teams, spread-out people).</summary>
        public IEnumerable<(string Kind, Func<int, object?> Pick)> ScopeKinds()
        {
            var midTeams = Teams.Where(t => t.ParentId is not null).ToList();
            yield return ("org", _ => null);
            yield return ("cost centre", i => new { costCentreId = CostCentres[i % CostCentres.Count].Id });
            yield return ("team", i => new { teamId = midTeams[i * 7 % midTeams.Count].Id });
            yield return ("person", i => new { personId = People[i * 97 % People.Count].Id });
        }

        /// <summary>FTE allocations and the team tree as tables, which the SQL alternative needs to split and roll up.</summary>
        public async Task WriteSqlBaselineTablesAsync(string db)
        {
            await using var source = NpgsqlDataSource.Create(db);
            await using (var cmd = source.CreateCommand("""
                create table bench_alloc (person_id text, team_id text, cost_centre_id text, fte numeric, valid_from timestamptz, valid_to timestamptz);
                create table bench_team_closure (ancestor text, descendant text);
                """)) await cmd.ExecuteNonQueryAsync();
            await using (var cmd = source.CreateCommand("insert into bench_alloc select * from unnest($1::text[], $2::text[], $3::text[], $4::numeric[], $5::timestamptz[], $6::timestamptz[])"))
            {
                var rows = People.SelectMany(p => p.Allocations.Select(a => (p.Id, a))).ToList();
                cmd.Parameters.AddWithValue(rows.Select(r => r.Id).ToArray());
                cmd.Parameters.AddWithValue(rows.Select(r => r.a.TeamId).ToArray());
                cmd.Parameters.AddWithValue(rows.Select(r => _ccOf[r.a.TeamId]).ToArray());
                cmd.Parameters.AddWithValue(rows.Select(r => r.a.Fte).ToArray());
                cmd.Parameters.AddWithValue(rows.Select(r => new DateTimeOffset(r.a.EffectiveFrom.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero)).ToArray());
                cmd.Parameters.AddWithValue(rows.Select(_ => DateTimeOffset.MaxValue.AddYears(-1)).ToArray());
                await cmd.ExecuteNonQueryAsync();
            }
            await using (var cmd = source.CreateCommand("insert into bench_team_closure select * from unnest($1::text[], $2::text[])"))
            {
                var parent = Teams.ToDictionary(t => t.Id, t => t.ParentId);
                var pairs = Teams.SelectMany(t => Ancestors(t.Id, parent).Select(a => (a, t.Id))).ToList();
                cmd.Parameters.AddWithValue(pairs.Select(p => p.a).ToArray());
                cmd.Parameters.AddWithValue(pairs.Select(p => p.Id).ToArray());
                await cmd.ExecuteNonQueryAsync();
            }
            await using (var cmd = source.CreateCommand("""
                create index on bench_alloc (person_id); create index on bench_alloc (team_id); create index on bench_alloc (cost_centre_id);
                create index on bench_team_closure (ancestor); analyze;
                """)) await cmd.ExecuteNonQueryAsync();
        }

        private static IEnumerable<string> Ancestors(string team, Dictionary<string, string?> parent)
        {
            for (string? t = team; t is not null; t = parent[t]) yield return t;
        }

        /// <summary>
        /// What a team would write without rollups: one pass over the window's sessions, split by FTE
        /// through the allocations, with every breakdown of the view as a grouping set.
        /// </summary>
        public async Task SqlViewAsync(NpgsqlDataSource sql, object? scope, DateOnly asOf, int days)
        {
            var (filter, value) = scope switch
            {
                null => ("", (string?)null),
                _ when Get(scope, "costCentreId") is { } cc => ("and a.cost_centre_id = $4", cc),
                _ when Get(scope, "teamId") is { } t => ("and a.team_id in (select descendant from bench_team_closure where ancestor = $4)", t),
                _ => ("and s.person_id = $4", Get(scope, "personId")),
            };
            await using var cmd = sql.CreateCommand($"""
                select grouping(s.provider_id, s.project_id, a.cost_centre_id, s.subject_key, s.model), s.provider_id, s.project_id, a.cost_centre_id,
                       s.subject_key, s.model, sum(s.market_cost_usd * a.fte), sum(a.fte), avg(s.frustration)
                from sessions s join bench_alloc a on a.person_id = s.person_id and s.started_at >= a.valid_from and s.started_at < a.valid_to
                where s.org = $1 and s.started_at >= $2 and s.started_at < $3 {filter}
                group by grouping sets ((), (s.provider_id), (s.project_id), (a.cost_centre_id), (s.subject_key), (s.model))
                """);
            var end = new DateTimeOffset(asOf.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            cmd.Parameters.AddWithValue(Org);
            cmd.Parameters.AddWithValue(end.AddDays(-days));
            cmd.Parameters.AddWithValue(end);
            if (value is not null) cmd.Parameters.AddWithValue(value);
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync()) { }
        }

        private static string? Get(object o, string property) => o.GetType().GetProperty(property)?.GetValue(o) as string;
    }
}
