using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Flowstate.Silo.Hosting;
using Flowstate.Silo.Options;
using Npgsql;

namespace Flowstate.Bench;

/// <summary>
/// The export benchmark: the FOCUS export of one period's confirmed ledger (100,000 rows by default)
/// over HTTP from an in-process silo, beside the floor of the same read: a raw PostgreSQL
/// <c>COPY … TO STDOUT (FORMAT csv)</c> of the same rows' columns, in the same run. For each it prints
/// rows/s and the peak growth of the process's managed heap while it ran (sampled every 5 ms), and
/// the FOCUS export of a period a tenth the size, so that memory flat in the row count shows the
/// export streams. The ledger is written straight into <c>recon_ledger</c> (what the export reads);
/// the workforce and providers (for allocation tags and names) go through GraphQL.
/// Usage: ./flowstate bench export [--rows 100000]
/// </summary>
public static class ExportBench
{
    private const string Org = "export";

    public static async Task<int> RunAsync(string[] args)
    {
        int Arg(string name, int fallback) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() is { } v ? int.Parse(v) : fallback;
        var rows = Arg("--rows", 100_000);
        var db = await BenchHost.FreshDatabaseAsync("flowstate_bench_export");
        var (silo, options) = await BenchHost.StartSiloAsync(db);
        await using var app = silo;
        using var http = await new HttpClient { BaseAddress = new Uri(options.Http), Timeout = TimeSpan.FromMinutes(5) }.SignInAsync(db, Org);

        Console.WriteLine($"Flowstate export benchmark — {Environment.ProcessorCount} cores, PostgreSQL local, in-process silo");
        foreach (var p in new[] { "claude", "cursor", "copilot", "gong" })
            await GqlAsync(http, $$"""mutation { configureProvider(input: { id: "{{p}}", name: "{{p}} (bench)" }) { id } }""");
        await GqlAsync(http, "mutation($i: WorkforceInput!) { upsertWorkforce(input: $i) { people } }", new
        {
            i = new
            {
                costCentres = Enumerable.Range(0, 5).Select(c => new { id = $"cc{c}", name = $"Cost centre {c}" }),
                teams = Enumerable.Range(0, 50).Select(t => new { id = $"t{t}", name = $"Team {t}", costCentreId = $"cc{t % 5}" }),
                people = Enumerable.Range(0, 1000).Select(i => new
                {
                    id = $"p{i}", email = $"p{i}@bench.example", name = $"Person {i}",
                    allocations = new[] { new { teamId = $"t{i % 50}", fte = "0.6", effectiveFrom = "2025-01-01" }, new { teamId = $"t{(i + 7) % 50}", fte = "0.4", effectiveFrom = "2025-01-01" } },
                }),
            },
        });
        await SeedLedgerAsync(db, "2026-10", rows);
        await SeedLedgerAsync(db, "2026-09", rows / 10);
        Console.WriteLine($"ledger: {rows:N0} confirmed rows in 2026-10 and {rows / 10:N0} in 2026-09, 1,000 people in 50 teams");

        await using var raw = NpgsqlDataSource.Create(db);
        var copy = await MeasureAsync(async () =>
        {
            await using var conn = await raw.OpenConnectionAsync();
            using var reader = await conn.BeginTextExportAsync($"""
                copy (select row_id, provider_id, external_id, subject_key, account, usage_date, kind, amount, list_amount, observed, status, cause, description, note
                      from recon_ledger where org = '{Org}' and period = '2026-10' and status = 3 and moved_out_to is null order by row_id) to stdout (format csv, header)
                """);
            return await CountLinesAsync(reader) - 1;
        });
        var small = await MeasureAsync(() => DownloadAsync(http, "/exports/focus?period=2026-09"));
        var focus = await MeasureAsync(() => DownloadAsync(http, "/exports/focus?period=2026-10"));
        if (focus.Rows != rows || small.Rows != rows / 10) throw new InvalidOperationException($"exported {focus.Rows} and {small.Rows} rows, expected {rows} and {rows / 10}");

        Console.WriteLine();
        Console.WriteLine($"{"",-46} {"rows",9} {"seconds",8} {"rows/s",9} {"peak heap growth",17}");
        Print("raw COPY of the same rows (floor)", copy);
        Print($"FOCUS 1.2 export over HTTP, {rows / 10:N0} rows", small);
        Print($"FOCUS 1.2 export over HTTP, {rows:N0} rows", focus);
        Console.WriteLine($"process peak working set: {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:N0} MiB");
        await app.StopAsync();
        return 0;
    }

    private static void Print(string what, (long Rows, double Seconds, long PeakBytes) m) =>
        Console.WriteLine($"{what,-46} {m.Rows,9:N0} {m.Seconds,8:N2} {m.Rows / m.Seconds,9:N0} {m.PeakBytes / 1048576.0,13:N1} MiB");

    /// <summary>Runs <paramref name="work"/> while sampling the managed heap; returns its rows, seconds and the heap's peak growth.</summary>
    private static async Task<(long Rows, double Seconds, long PeakBytes)> MeasureAsync(Func<Task<long>> work)
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        long peak = baseline;
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(false));
                await Task.Delay(5);
            }
        });
        var clock = Stopwatch.StartNew();
        var count = await work();
        var seconds = clock.Elapsed.TotalSeconds;
        stop.Cancel();
        await sampler;
        return (count, seconds, peak - baseline);
    }

    private static async Task<long> DownloadAsync(HttpClient http, string url)
    {
        using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        return await CountLinesAsync(reader) - 1;
    }

    /// <summary>Counts CSV records: newlines outside quotes.</summary>
    private static async Task<long> CountLinesAsync(TextReader reader)
    {
        var buffer = new char[1 << 16];
        long lines = 0;
        var quoted = false;
        int n;
        while ((n = await reader.ReadAsync(buffer)) > 0)
            for (var i = 0; i < n; i++)
            {
                if (buffer[i] == '"') quoted = !quoted;
                else if (buffer[i] == '\n' && !quoted) lines++;
            }
        return lines;
    }

    /// <summary>Confirmed rows of one month, spread over providers, days, people and kinds, written as the period grain writes them.</summary>
    private static async Task SeedLedgerAsync(string db, string period, int count)
    {
        await using var conn = new NpgsqlConnection(db);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("""
            insert into recon_ledger (org, period, row_id, version, provider_id, usage_date, amount, status, observed, cause,
                                      external_id, subject_key, account, kind, list_amount, description, note)
            select $1, $2, p.provider || '/' || $2 || '-' || i, 3, p.provider, ($2 || '-01')::date + (i % 28), round((i % 997) * 0.137 + 0.5, 4), 3,
                   round((i % 997) * 0.137 + 0.5, 4), 1, $2 || '-' || i,
                   case when i % 10 = 0 then null else 'p:p' || (i % 1000) end, case when i % 10 = 0 then 'key_' || (i % 7) end,
                   case when p.provider = 'copilot' then 1 else 0 end, round((i % 997) * 0.16 + 0.6, 4), 'Usage of ' || p.provider || ', "bench" line ' || i,
                   case when i % 50 = 0 then 'Checked, see FIN-' || i end
            from generate_series(1, $3) as i
            cross join lateral (select (array['claude','cursor','copilot','gong'])[1 + i % 4] as provider) p
            """, conn);
        cmd.Parameters.AddWithValue(Org);
        cmd.Parameters.AddWithValue(period);
        cmd.Parameters.AddWithValue(count);
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task GqlAsync(HttpClient http, string query, object? variables = null)
    {
        using var response = await http.PostAsJsonAsync("/graphql", new { query, variables });
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();
        if (!response.IsSuccessStatusCode || body?["errors"] is not null) throw new InvalidOperationException($"GraphQL failed: {body}");
    }
}
