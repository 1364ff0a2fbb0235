using System.Text.Json;
using Flowstate.Reconciliation;
using Flowstate.Tests.Infrastructure;

namespace Flowstate.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class ReconciliationFlowTests(FlowstateCluster cluster)
{
    private const string Action = """
        mutation($input: RowActionInput!) { applyRowAction(input: $input) {
          row { id status version note availableActions auditTrail { fromStatus toStatus action actor note } }
          summary { period billed observed writtenOff residual residualRatio } } }
        """;

    private const string Inbox = """
        query($period: String!, $statuses: [RowStatus!], $first: Int, $after: String) {
          reconciliation(period: $period, statuses: $statuses, first: $first, after: $after) {
            period emptyState
            summary { billed observed writtenOff residual residualRatio }
            buckets { status count amount }
            deferredOut { id status period }
            rows { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id status totalCostUsd observedCostUsd delta subject { id email } } } } } }
        """;

    private static string RowId(string ext) => GrainKeys.RowId("claude", ext);

    [Fact]
    public async Task Ingest_LandsRowsInTheBucketsMatchingSays()
    {
        var org = await TestOrg.CreateAsync(cluster);
        await org.ObserveAsync(
            TestOrg.Session("s1", "alice@acme.example", "2026-11-03T10:00:00Z", 10m),
            TestOrg.Session("s2", "alice", "2026-11-04T10:00:00Z", 5m),
            TestOrg.Session("s3", "bob", "2026-11-05T10:00:00Z", 8m),
            TestOrg.Session("s4", "bob", "2026-11-08T10:00:00Z", 3m, apiKey: "key_ci"));
        var result = await org.BillAsync(
            TestOrg.BillRow("exact", "alice@acme.example", "2026-11-03", 10m),
            TestOrg.BillRow("near", "ALICE", "2026-11-04", 5.4m),
            TestOrg.BillRow("lag", "bob@acme.example", "2026-11-06", 8m),
            TestOrg.BillRow("orphan", "bob", "2026-11-07", 12m),
            TestOrg.BillRow("key", null, "2026-11-08", 3m, account: "key_ci"),
            TestOrg.BillRow("seat-idle", "carol@acme.example", "2026-11-01", 40m, kind: BillingRowKind.Seat));
        Assert.Equal((6, 0, 0), (result.Accepted, result.Duplicates, result.Rejected.Count));

        Assert.Equal(RowStatus.AutoMatched, (await org.GetRowAsync("exact")).Status);
        Assert.Equal(RowStatus.Suggested, (await org.GetRowAsync("near")).Status);
        Assert.Equal(RowStatus.Suggested, (await org.GetRowAsync("lag")).Status);
        Assert.Equal(RowStatus.Unreconciled, (await org.GetRowAsync("orphan")).Status);
        Assert.Equal(RowStatus.Suggested, (await org.GetRowAsync("key")).Status);
        Assert.Equal(RowStatus.Unreconciled, (await org.GetRowAsync("seat-idle")).Status);
        Assert.Equal(["s1"], (await org.GetRowAsync("exact")).MatchedSessionIds);

        var data = await org.DataAsync(Inbox, new { period = "2026-11", statuses = new[] { "UNRECONCILED", "SUGGESTED", "AUTO_MATCHED" } });
        var rec = data.GetProperty("reconciliation");
        Assert.Equal(6, rec.GetProperty("rows").GetProperty("totalCount").GetInt32());
        var summary = rec.GetProperty("summary");
        Assert.Equal("78.4", summary.GetProperty("billed").GetString());
        Assert.Equal("26", summary.GetProperty("observed").GetString());
        Assert.Equal("0", summary.GetProperty("writtenOff").GetString());
        Assert.Equal("52.4", summary.GetProperty("residual").GetString());
        var chips = rec.GetProperty("buckets").EnumerateArray().ToDictionary(b => b.GetProperty("status").GetString()!, b => b.GetProperty("count").GetInt32());
        Assert.Equal((2, 3, 1, 0), (chips["UNRECONCILED"], chips["SUGGESTED"], chips["AUTO_MATCHED"], chips["CONFIRMED"]));
        var nodes = rec.GetProperty("rows").GetProperty("edges").EnumerateArray().Select(e => e.GetProperty("node")).ToDictionary(n => n.GetProperty("id").GetString()!);
        Assert.Equal("alice", nodes[RowId("exact")].GetProperty("subject").GetProperty("id").GetString());
        Assert.Equal(JsonValueKind.Null, nodes[RowId("seat-idle")].GetProperty("subject").ValueKind);
        Assert.Equal("0.4", nodes[RowId("near")].GetProperty("delta").GetString());
    }

    [Fact]
    public async Task Actions_MoveRows_RecomputeTheSummary_AndKeepAnAuditTrail()
    {
        var org = await TestOrg.CreateAsync(cluster);
        await org.ObserveAsync(TestOrg.Session("s1", "alice", "2026-11-03T10:00:00Z", 10m));
        await org.BillAsync(TestOrg.BillRow("r1", "alice", "2026-11-03", 10m), TestOrg.BillRow("r2", "bob", "2026-11-03", 7.25m));

        var confirmed = (await org.DataAsync(Action, new { input = new { rowId = RowId("r1"), action = "CONFIRM", expectedVersion = 1 } })).GetProperty("applyRowAction");
        Assert.Equal("CONFIRMED", confirmed.GetProperty("row").GetProperty("status").GetString());
        Assert.Equal(["REOPEN"], confirmed.GetProperty("row").GetProperty("availableActions").EnumerateArray().Select(a => a.GetString()));

        var writtenOff = (await org.DataAsync(Action, new { input = new { rowId = RowId("r2"), action = "WRITE_OFF", note = "Trial credit, no usage" } })).GetProperty("applyRowAction");
        var summary = writtenOff.GetProperty("summary");
        Assert.Equal(("17.25", "10", "7.25", "0"), (summary.GetProperty("billed").GetString(), summary.GetProperty("observed").GetString(),
            summary.GetProperty("writtenOff").GetString(), summary.GetProperty("residual").GetString()));
        var trail = writtenOff.GetProperty("row").GetProperty("auditTrail");
        Assert.Equal(2, trail.GetArrayLength());
        Assert.Equal(JsonValueKind.Null, trail[0].GetProperty("fromStatus").ValueKind);
        Assert.Equal("WRITE_OFF", trail[1].GetProperty("action").GetString());
        Assert.Equal("Trial credit, no usage", trail[1].GetProperty("note").GetString());
        Assert.Equal("tester@" + org.Id, trail[1].GetProperty("actor").GetString());

        var reopened = (await org.DataAsync(Action, new { input = new { rowId = RowId("r2"), action = "REOPEN", note = "Vendor disputes the credit" } })).GetProperty("applyRowAction");
        Assert.Equal("UNRECONCILED", reopened.GetProperty("row").GetProperty("status").GetString());
        Assert.Equal("0", reopened.GetProperty("summary").GetProperty("writtenOff").GetString());
        Assert.Equal(3, reopened.GetProperty("row").GetProperty("auditTrail").GetArrayLength());
    }

    [Theory]
    [InlineData("CONFIRM", null, null, "INVALID_TRANSITION")]
    [InlineData("WRITE_OFF", "  ", null, "NOTE_REQUIRED")]
    [InlineData("REOPEN", "why", null, "INVALID_TRANSITION")]
    [InlineData("DEFER", null, 7, "VERSION_CONFLICT")]
    public async Task BadActions_FailWithStableCodes_AndChangeNothing(string action, string? note, int? expected, string code)
    {
        var org = await TestOrg.CreateAsync(cluster);
        // claude sends telemetry, so an unmatched row waits for sessions rather than offering CONFIRM against a contract.
        await org.ObserveAsync(TestOrg.Session("t", "bob", "2026-11-09T10:00:00Z", 1m));
        await org.BillAsync(TestOrg.BillRow("r1", "alice", "2026-11-03", 10m));
        var before = await org.GetRowAsync("r1");
        var summaryBefore = await org.Period("2026-11").GetSummaryAsync();

        Assert.Equal(code, await org.ErrorCodeAsync(Action, new { input = new { rowId = RowId("r1"), action, note, expectedVersion = expected } }));

        var after = await org.GetRowAsync("r1");
        Assert.Equal((before.Status, before.Version, before.AuditTrail.Count), (after.Status, after.Version, after.AuditTrail.Count));
        Assert.Equal(summaryBefore, await org.Period("2026-11").GetSummaryAsync());
    }

    [Fact]
    public async Task UnknownRow_IsNotFound()
    {
        var org = await TestOrg.CreateAsync(cluster);
        Assert.Equal("NOT_FOUND", await org.ErrorCodeAsync(Action, new { input = new { rowId = RowId("nope"), action = "DEFER" } }));
        Assert.Equal("NOT_FOUND", await org.ErrorCodeAsync(Action, new { input = new { rowId = "garbage", action = "DEFER" } }));
        var data = await org.DataAsync("query($id: ID!) { billingRow(id: $id) { id } }", new { id = RowId("nope") });
        Assert.Equal(JsonValueKind.Null, data.GetProperty("billingRow").ValueKind);
    }

    [Fact]
    public async Task LateSessions_RematchOpenRows_ButNeverConfirmedOrWrittenOff()
    {
        var org = await TestOrg.CreateAsync(cluster);
        await org.BillAsync(TestOrg.BillRow("open", "alice", "2026-11-10", 20m), TestOrg.BillRow("closed", "bob", "2026-11-10", 20m));
        await org.Row("closed").ApplyActionAsync(new RowCommand(RowAction.WriteOff, "nobody used it", null, "t"));

        await org.ObserveAsync(TestOrg.Session("late-a", "alice", "2026-11-10T09:00:00Z", 20m), TestOrg.Session("late-b", "bob", "2026-11-10T09:00:00Z", 20m));

        var open = await org.GetRowAsync("open");
        Assert.Equal(RowStatus.AutoMatched, open.Status);
        Assert.Equal(20m, open.ObservedCostUsd);
        Assert.Equal("system:matcher", open.AuditTrail[^1].Actor);
        Assert.Equal(RowStatus.WrittenOff, (await org.GetRowAsync("closed")).Status);
    }

    [Fact]
    public async Task ReIngestion_IsIdempotent_AndLockedRowsDoNotChange()
    {
        var org = await TestOrg.CreateAsync(cluster);
        var rows = new[] { TestOrg.BillRow("a", "alice", "2026-11-02", 3m), TestOrg.BillRow("b", "bob", "2026-11-02", 4m) };
        var sessions = new[] { TestOrg.Session("x", "alice", "2026-11-02T08:00:00Z", 3m) };
        await org.ObserveAsync(sessions);
        await org.BillAsync(rows);
        var summary = await org.Period("2026-11").GetSummaryAsync();
        var versionA = (await org.GetRowAsync("a")).Version;

        var again = await org.BillAsync(rows);
        var sessionsAgain = await org.ObserveAsync(sessions);
        Assert.Equal((0, 2), (again.Accepted, again.Duplicates));
        Assert.Equal((0, 1), (sessionsAgain.Accepted, sessionsAgain.Duplicates));
        Assert.Equal(summary, await org.Period("2026-11").GetSummaryAsync());
        Assert.Equal(versionA, (await org.GetRowAsync("a")).Version);

        await org.Row("b").ApplyActionAsync(new RowCommand(RowAction.WriteOff, "no usage", null, "t"));
        var changed = await org.BillAsync(TestOrg.BillRow("b", "bob", "2026-11-02", 99m), TestOrg.BillRow("a", "alice", "2026-11-02", 3.2m));
        Assert.Equal((1, 1), (changed.Accepted, changed.Duplicates));
        Assert.Equal(4m, (await org.GetRowAsync("b")).Line.TotalCostUsd);
        Assert.Equal(3.2m, (await org.GetRowAsync("a")).Line.TotalCostUsd);
        Assert.Equal(RowStatus.Suggested, (await org.GetRowAsync("a")).Status);
    }

    [Fact]
    public async Task Pagination_WalksEveryRowOnce_AndEmptyStatesSayWhy()
    {
        var org = await TestOrg.CreateAsync(cluster);
        var empty = (await org.DataAsync(Inbox, new { period = "2026-10" })).GetProperty("reconciliation");
        Assert.Equal("NO_BILLING_PULL", empty.GetProperty("emptyState").GetString());

        await org.BillAsync(Enumerable.Range(0, 23).Select(i => TestOrg.BillRow($"r{i:D2}", "bob", $"2026-11-{1 + i % 9:D2}", 1m + i)).ToArray());
        var seen = new List<string>();
        string? after = null;
        do
        {
            var rows = (await org.DataAsync(Inbox, new { period = "2026-11", first = 5, after })).GetProperty("reconciliation").GetProperty("rows");
            Assert.Equal(23, rows.GetProperty("totalCount").GetInt32());
            seen.AddRange(rows.GetProperty("edges").EnumerateArray().Select(e => e.GetProperty("node").GetProperty("id").GetString()!));
            after = rows.GetProperty("pageInfo").GetProperty("hasNextPage").GetBoolean() ? rows.GetProperty("pageInfo").GetProperty("endCursor").GetString() : null;
        } while (after is not null);
        Assert.Equal(23, seen.Count);
        Assert.Equal(23, seen.Distinct().Count());

        var cleared = (await org.DataAsync(Inbox, new { period = "2026-11", statuses = new[] { "CONFIRMED" } })).GetProperty("reconciliation");
        Assert.Equal("CLEARED", cleared.GetProperty("emptyState").GetString());
        Assert.Equal("INVALID_INPUT", await org.ErrorCodeAsync(Inbox, new { period = "2026-11", first = 1000 }));
        Assert.Equal("INVALID_INPUT", await org.ErrorCodeAsync(Inbox, new { period = "2026-11", after = "not-a-cursor" }));
        Assert.Equal("INVALID_INPUT", await org.ErrorCodeAsync(Inbox, new { period = "November" }));
    }

    [Fact]
    public async Task ReopenedRow_StaysUnreconciled_UntilNewEvidenceArrives()
    {
        var org = await TestOrg.CreateAsync(cluster);
        var first = TestOrg.Session("e1", "alice", "2026-11-14T10:00:00Z", 5m);
        await org.ObserveAsync(first);
        await org.BillAsync(TestOrg.BillRow("re", "alice", "2026-11-14", 9m));
        Assert.Equal(RowStatus.Unreconciled, (await org.GetRowAsync("re")).Status);
        await org.Row("re").ApplyActionAsync(new RowCommand(RowAction.WriteOff, "over-billed", null, "t"));
        await org.Row("re").ApplyActionAsync(new RowCommand(RowAction.Reopen, "vendor sent usage", null, "t"));
        var reopened = await org.GetRowAsync("re");

        await org.ObserveAsync(first);  // a re-sent batch is no evidence
        Assert.Equal((RowStatus.Unreconciled, reopened.Version), ((await org.GetRowAsync("re")).Status, (await org.GetRowAsync("re")).Version));

        await org.ObserveAsync(TestOrg.Session("e2", "alice", "2026-11-14T15:00:00Z", 4m));
        var matched = await org.GetRowAsync("re");
        Assert.Equal((RowStatus.AutoMatched, 9m), (matched.Status, matched.ObservedCostUsd));
    }
}
