using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;

namespace Flowstate.Tests.Infrastructure;

/// <summary>
/// The load the fault tests put on silo processes: row actions (each worker owns rows and toggles
/// WRITE_OFF ↔ REOPEN with the version it last saw) and session ingest (of another subject, so
/// that matching never moves a row under its worker) (batches re-sent until
/// acknowledged), spread over the silos. It records what was acknowledged, so that once the
/// system is quiet <see cref="VerifyAsync"/> can count what is found, lost and duplicated, and
/// check the period against its rows.
/// </summary>
public sealed class MixedLoad(SiloHttp http, Func<IReadOnlyList<Uri>> silos, int rows, int rowWorkers = 8, int sessionWorkers = 2)
{
    public const string Provider = "p";
    public static string Period => DateTime.UtcNow.ToString("yyyy-MM", CultureInfo.InvariantCulture);
    private static string Today => DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private readonly ConcurrentDictionary<string, (int Version, string Status)> _ackedRows = new();
    private readonly ConcurrentDictionary<string, byte> _ackedSessions = new();
    private readonly ConcurrentQueue<(TimeSpan Took, SiloHttp.Answer? Answer, string? Failure)> _failures = new();
    private readonly ConcurrentDictionary<string, string> _examples = new();
    private int _okActions, _okBatches, _runs;

    public int AcknowledgedActions => Volatile.Read(ref _okActions);
    public int AcknowledgedBatches => Volatile.Read(ref _okBatches);
    public int AcknowledgedSessions => _ackedSessions.Count;

    /// <summary>Failed requests: how long each took and how it was answered (null when no HTTP answer came).</summary>
    public IReadOnlyCollection<(TimeSpan Took, SiloHttp.Answer? Answer, string? Failure)> Failures => _failures;

    public static string RowId(int i) => $"{Provider}/r{i}";

    /// <summary>The provider and <see cref="rows"/> billing rows of today, through the first silo.</summary>
    public async Task SeedAsync()
    {
        var first = silos()[0];
        await http.DataAsync(first, $$"""mutation { configureProvider(input: { id: "{{Provider}}", name: "P", prices: [{ model: "m", inputPerMTokUsd: "1", outputPerMTokUsd: "1", effectiveFrom: "2025-01-01" }] }) { id } }""");
        // Two people in two cost centres send the sessions; the rows' subject sends none, so matching never moves a row.
        await http.DataAsync(first, """
            mutation { upsertWorkforce(input: {
              costCentres: [{ id: "cc-a", name: "A" }, { id: "cc-b", name: "B" }],
              teams: [{ id: "ta", name: "TA", costCentreId: "cc-a" }, { id: "tb", name: "TB", costCentreId: "cc-b" }],
              people: [{ id: "kim", name: "Kim", allocations: [{ teamId: "ta", fte: "1", effectiveFrom: "2025-01-01" }] },
                       { id: "sam", name: "Sam", allocations: [{ teamId: "ta", fte: "0.5", effectiveFrom: "2025-01-01" }, { teamId: "tb", fte: "0.5", effectiveFrom: "2025-01-01" }] }] }) { people } }
            """);
        var batch = Enumerable.Range(0, rows).Select(i => new { externalId = $"r{i}", subject = "ann", usageDate = Today, totalCostUsd = $"{i + 1}.25" }).ToArray();
        await http.DataAsync(first, "mutation($i: IngestBillingRowsInput!) { ingestBillingRows(input: $i) { accepted } }", new { i = new { providerId = Provider, rows = batch } });
    }

    /// <summary>Runs until <paramref name="stop"/>; each worker finishes the request it has in flight.</summary>
    public Task RunAsync(CancellationToken stop)
    {
        var run = Interlocked.Increment(ref _runs);
        return Task.WhenAll(Enumerable.Range(0, rowWorkers).Select(w => RowWorkerAsync(w, stop))
            .Concat(Enumerable.Range(0, sessionWorkers).Select(w => SessionWorkerAsync(run, w, stop))));
    }

    private Uri Pick(int n) { var s = silos(); return s[n % s.Count]; }

    private async Task RowWorkerAsync(int worker, CancellationToken stop)
    {
        var mine = Enumerable.Range(0, rows).Where(i => i % rowWorkers == worker).Select(RowId).ToList();
        var known = new Dictionary<string, (int Version, string Status)?>();
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var id = mine[n % mine.Count];
            var silo = Pick(n + worker);
            var watch = Stopwatch.StartNew();
            try
            {
                if (known.GetValueOrDefault(id) is not { } row)
                {
                    var read = await http.PostAsync(silo, "query($id: ID!) { billingRow(id: $id) { version status } }", new { id });
                    if (!read.Ok) { Failed(watch, read); await Task.Delay(100); continue; }
                    known[id] = (read.Data!["billingRow"]!["version"]!.GetValue<int>(), read.Data["billingRow"]!["status"]!.GetValue<string>());
                    continue;
                }
                var action = row.Status == "WRITTEN_OFF" ? "REOPEN" : "WRITE_OFF";
                var answer = await http.PostAsync(silo, "mutation($i: RowActionInput!) { applyRowAction(input: $i) { row { version status } } }",
                    new { i = new { rowId = id, action, note = "fault test", expectedVersion = row.Version } });
                if (answer.Ok)
                {
                    var done = answer.Data!["applyRowAction"]!["row"]!;
                    var acked = (done["version"]!.GetValue<int>(), done["status"]!.GetValue<string>());
                    known[id] = acked;
                    _ackedRows[id] = acked;
                    Interlocked.Increment(ref _okActions);
                }
                else { Failed(watch, answer); known[id] = null; await Task.Delay(100); }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                _failures.Enqueue((watch.Elapsed, null, e.GetType().Name));
                known[id] = null;
                await Task.Delay(100);
            }
        }
    }

    private async Task SessionWorkerAsync(int run, int worker, CancellationToken stop)
    {
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var batch = Enumerable.Range(0, 5).Select(i => new
            {
                id = $"s-{run}-{worker}-{n}-{i}", subject = i % 2 == 0 ? "kim" : "sam", providerId = Provider, model = "m",
                startedAt = DateTime.UtcNow.AddMinutes(-5).ToString("O", CultureInfo.InvariantCulture), inputTokens = 10, outputTokens = 1, costUsd = "0.25",
            }).ToArray();
            // Re-sent until acknowledged (as an agent would), bounded so a stuck system fails the test rather than hangs it.
            for (var attempt = 0; attempt < 600; attempt++)
            {
                var watch = Stopwatch.StartNew();
                try
                {
                    var answer = await http.PostAsync(Pick(n + attempt + worker), "mutation($i: IngestSessionsInput!) { ingestSessions(input: $i) { accepted duplicates rejected { code } } }",
                        new { i = new { sessions = batch } });
                    if (answer.Ok)
                    {
                        foreach (var s in batch) _ackedSessions[s.id] = 0;
                        Interlocked.Increment(ref _okBatches);
                        break;
                    }
                    Failed(watch, answer);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { _failures.Enqueue((watch.Elapsed, null, e.GetType().Name)); }
                await Task.Delay(200);
            }
        }
    }

    private void Failed(Stopwatch watch, SiloHttp.Answer answer)
    {
        _failures.Enqueue((watch.Elapsed, answer, answer.Code));
        _examples.TryAdd(answer.Code ?? ((int)answer.Status).ToString(CultureInfo.InvariantCulture), answer.Body.Length > 600 ? answer.Body[..600] : answer.Body);
    }

    /// <summary>The first answer of each kind of failure.</summary>
    public string FailureExamples() => string.Join("\n", _examples.Select(e => $"{e.Key}: {e.Value}"));

    public sealed record Counts(int Acknowledged, int Found, int Lost, int Duplicated)
    {
        public override string ToString() => $"acknowledged {Acknowledged}, found {Found}, lost {Lost}, duplicated {Duplicated}";
    }

    /// <summary>
    /// With the system quiet: every acknowledged row action and session is present, none twice, and
    /// the period adds up to its rows (invariants 1 and 2: Billed = Σ buckets; Written off = Σ written-off rows).
    /// </summary>
    public async Task<(Counts Actions, Counts Sessions)> VerifyAsync(TestDatabase db)
    {
        var silo = silos()[0];
        var lost = 0;
        var found = 0;
        var writtenOff = 0m;
        var billed = 0m;
        for (var i = 0; i < rows; i++)
        {
            var row = (await http.DataAsync(silo, "query($id: ID!) { billingRow(id: $id) { version status totalCostUsd } }", new { id = RowId(i) }))["billingRow"]!;
            var (version, status) = (row["version"]!.GetValue<int>(), row["status"]!.GetValue<string>());
            var amount = decimal.Parse(row["totalCostUsd"]!.GetValue<string>(), CultureInfo.InvariantCulture);
            billed += amount;
            if (status == "WRITTEN_OFF") writtenOff += amount;
            if (_ackedRows.TryGetValue(RowId(i), out var acked))
            {
                // A later version can only come from an action whose answer was lost; an earlier one is a lost action.
                if (version < acked.Version || (version == acked.Version && status != acked.Status)) lost++;
                else found++;
            }
        }
        var summary = (await http.DataAsync(silo, """
            query($p: String!) { reconciliation(period: $p, statuses: [UNRECONCILED, SUGGESTED, AUTO_MATCHED, CONFIRMED, WRITTEN_OFF, DEFERRED]) {
              summary { billed writtenOff observed rowCount } buckets { status count amount } } }
            """, new { p = Period }))["reconciliation"]!;
        Assert.Equal(billed, Money(summary["summary"]!["billed"]));
        Assert.Equal(writtenOff, Money(summary["summary"]!["writtenOff"]));
        Assert.Equal(rows, summary["summary"]!["rowCount"]!.GetValue<int>());
        Assert.Equal(billed, summary["buckets"]!.AsArray().Sum(b => Money(b!["amount"])));
        Assert.Equal(rows, summary["buckets"]!.AsArray().Sum(b => b!["count"]!.GetValue<int>()));

        var stored = await db.ScalarAsync<long>("select count(*) from sessions where id like 's-%'");
        var distinct = await db.ScalarAsync<long>("select count(distinct id) from sessions where id like 's-%'");
        var acknowledgedFound = await db.ScalarAsync<long>("select count(*) from sessions where id = any($1)", new object[] { _ackedSessions.Keys.ToArray() });
        Assert.Equal(AcknowledgedSessions * 0.25m, Money(summary["summary"]!["observed"]));

        // Invariant 3, and rollups equal a recomputation: the org's spend is every acknowledged session's, split by FTE.
        var spend = (await http.DataAsync(silo, "{ attribution(range: LAST_30_DAYS) { total byCostCentre { key amount } topSpenders { key amount } } }"))["attribution"]!;
        var total = Money(spend["total"]);
        Assert.Equal(AcknowledgedSessions * 0.25m, total);
        Assert.Equal(total, spend["byCostCentre"]!.AsArray().Sum(c => Money(c!["amount"])));
        Assert.Equal(total, spend["topSpenders"]!.AsArray().Sum(p => Money(p!["amount"])));
        return (new Counts(_ackedRows.Count, found, lost, 0),
                new Counts(AcknowledgedSessions, (int)acknowledgedFound, AcknowledgedSessions - (int)acknowledgedFound, (int)(stored - distinct)));
    }

    private static decimal Money(JsonNode? value) => decimal.Parse(value!.GetValue<string>(), CultureInfo.InvariantCulture);

    /// <summary>How failures were answered, e.g. "503 STORAGE_UNAVAILABLE ×12 (Retry-After 5)".</summary>
    public string DescribeFailures() => string.Join("; ", _failures
        .GroupBy(f => f.Answer is { } a ? $"{(int)a.Status} {a.Code}{(a.RetryAfter is null ? "" : $" (Retry-After {a.RetryAfter})")}" : f.Failure)
        .Select(g => $"{g.Key} ×{g.Count()} (max {g.Max(f => f.Took.TotalSeconds):0.0} s)"));
}
