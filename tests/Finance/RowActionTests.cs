using System.Text.Json;
using Flowstate.GraphQL.Subscriptions;
using Flowstate.Ingestion;
using Flowstate.Providers;
using Flowstate.Reconciliation;
using Flowstate.Tests.Cluster;
using Flowstate.Tests.Infrastructure;

namespace Flowstate.Tests.Finance;

/// <summary>
/// The actions finance needs beyond DESIGN §2 (DESIGN §12): CONFIRM against the contract for a
/// provider without telemetry, REOPEN that matches again at once, UNDEFER while a row waits, and
/// deferredIn. DEFER moves time, so these share the deferral cluster and its clock.
/// </summary>
[Collection(DeferralCollection.Name)]
public sealed class RowActionTests(FlowstateCluster cluster)
{
    private const string Action = """
        mutation($input: RowActionInput!) { applyRowAction(input: $input) {
          row { id status version note matchReason deferredTo deferredFrom period availableActions auditTrail { fromStatus toStatus action actor note } }
          summary { period billed observed writtenOff residual } } }
        """;

    private const string Deferrals = """
        query($period: String!) { reconciliation(period: $period, statuses: [UNRECONCILED, SUGGESTED, AUTO_MATCHED, CONFIRMED, WRITTEN_OFF, DEFERRED]) {
          deferredOut { id status period } deferredIn { id status period deferredFrom } rows { totalCount } } }
        """;

    private static readonly DateTimeOffset MidNovember = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    /// <summary>A test org with a second provider, gong, that bills a retainer and sends no telemetry; claude has sent some.</summary>
    private static async Task<TestOrg> OrgWithRetainerAsync(FlowstateCluster cluster)
    {
        var org = await TestOrg.CreateAsync(cluster);
        await org.Provider("gong").ConfigureAsync(new ProviderConfig("gong", "Gong", "sales", ProviderPlan.None, [], MatchTolerance.Default));
        await org.ObserveAsync(TestOrg.Session("tele", "bob", "2026-11-01T08:00:00Z", 1m));
        await org.Ingestion.IngestBillingRowsAsync("gong",
            [new BillingRowRequest("retainer-2026-11", null, "acme-workspace", new DateOnly(2026, 11, 1), 2500m, null, BillingRowKind.Usage, "Monthly retainer", [])]);
        return org;
    }

    private static string[] Actions(JsonElement row) => row.GetProperty("availableActions").EnumerateArray().Select(a => a.GetString()!).ToArray();

    private static async Task AssertUnchangedAsync(TestOrg org, string ext, string provider, Func<Task> act)
    {
        var before = (await org.Row(ext, provider).GetAsync())!;
        var summary = await org.Period(before.Period.ToString()).GetSummaryAsync();
        await act();
        var after = (await org.Row(ext, provider).GetAsync())!;
        Assert.Equal((before.Status, before.Version, before.AuditTrail.Count, before.Period, before.DeferredTo, before.Note),
            (after.Status, after.Version, after.AuditTrail.Count, after.Period, after.DeferredTo, after.Note));
        Assert.Equal(summary, await org.Period(before.Period.ToString()).GetSummaryAsync());
    }

    [Fact]
    public async Task ConfirmWithoutMatch_ForAProviderWithoutTelemetry_NeedsTheBasis_AndIsAudited()
    {
        cluster.Clock.Set(MidNovember);
        var org = await OrgWithRetainerAsync(cluster);
        var rowId = GrainKeys.RowId("gong", "retainer-2026-11");
        var row = (await org.DataAsync("query($id: ID!) { billingRow(id: $id) { status availableActions } }", new { id = rowId })).GetProperty("billingRow");
        Assert.Equal("UNRECONCILED", row.GetProperty("status").GetString());
        Assert.Equal(["CONFIRM", "WRITE_OFF", "DEFER"], Actions(row));

        await AssertUnchangedAsync(org, "retainer-2026-11", "gong", async () =>
        {
            Assert.Equal("NOTE_REQUIRED", await org.ErrorCodeAsync(Action, new { input = new { rowId, action = "CONFIRM" } }));
            Assert.Equal("NOTE_REQUIRED", await org.ErrorCodeAsync(Action, new { input = new { rowId, action = "CONFIRM", note = "   " } }));
            Assert.Equal("VERSION_CONFLICT", await org.ErrorCodeAsync(Action, new { input = new { rowId, action = "CONFIRM", note = "Retainer", expectedVersion = 9 } }));
            Assert.Equal("INVALID_INPUT", await org.ErrorCodeAsync(Action, new { input = new { rowId, action = "CONFIRM", note = new string('x', 2001) } }));
        });

        var confirmed = (await org.DataAsync(Action, new { input = new { rowId, action = "CONFIRM", note = "Retainer per the 2026 Gong contract, $2,500 a month", expectedVersion = 1 } }))
            .GetProperty("applyRowAction").GetProperty("row");
        Assert.Equal(("CONFIRMED", 2), (confirmed.GetProperty("status").GetString(), confirmed.GetProperty("version").GetInt32()));
        Assert.Equal(["REOPEN"], Actions(confirmed));
        var entry = confirmed.GetProperty("auditTrail")[1];
        Assert.Equal(("UNRECONCILED", "CONFIRMED", "CONFIRM", "Retainer per the 2026 Gong contract, $2,500 a month"),
            (entry.GetProperty("fromStatus").GetString(), entry.GetProperty("toStatus").GetString(), entry.GetProperty("action").GetString(), entry.GetProperty("note").GetString()));
        Assert.Contains("contract", confirmed.GetProperty("matchReason").GetString());

        // A provider that sends telemetry: an unmatched row waits for sessions, so CONFIRM is not offered.
        await org.BillAsync(TestOrg.BillRow("lonely", "alice", "2026-11-05", 12m));
        var lonely = await org.GetRowAsync("lonely");
        Assert.Equal([RowAction.WriteOff, RowAction.Defer], lonely.AvailableActions);
        await AssertUnchangedAsync(org, "lonely", "claude", async () =>
            Assert.Equal("INVALID_TRANSITION", await org.ErrorCodeAsync(Action, new { input = new { rowId = GrainKeys.RowId("claude", "lonely"), action = "CONFIRM", note = "I know it" } })));
    }

    [Fact]
    public async Task Reopen_MatchesAgainAtOnce_SoAMatchedRowCanBeConfirmedAgain()
    {
        cluster.Clock.Set(MidNovember);
        var org = await TestOrg.CreateAsync(cluster);
        await org.ObserveAsync(TestOrg.Session("s1", "alice", "2026-11-03T10:00:00Z", 10m), TestOrg.Session("s2", "alice", "2026-11-04T10:00:00Z", 9.5m));
        await org.BillAsync(TestOrg.BillRow("auto", "alice", "2026-11-03", 10m), TestOrg.BillRow("near", "alice", "2026-11-04", 10m),
            TestOrg.BillRow("none", "bob", "2026-11-04", 4m));
        await org.Row("auto").ApplyActionAsync(new RowCommand(RowAction.Confirm, null, null, "fin"));
        await org.Row("near").ApplyActionAsync(new RowCommand(RowAction.WriteOff, "looked too high", null, "fin"));
        await org.Row("none").ApplyActionAsync(new RowCommand(RowAction.WriteOff, "not ours", null, "fin"));

        await AssertUnchangedAsync(org, "auto", "claude", async () =>
        {
            Assert.Equal("NOTE_REQUIRED", await org.ErrorCodeAsync(Action, new { input = new { rowId = GrainKeys.RowId("claude", "auto"), action = "REOPEN" } }));
            Assert.Equal("VERSION_CONFLICT", await org.ErrorCodeAsync(Action, new { input = new { rowId = GrainKeys.RowId("claude", "auto"), action = "REOPEN", note = "x", expectedVersion = 1 } }));
        });

        var auto = (await org.DataAsync(Action, new { input = new { rowId = GrainKeys.RowId("claude", "auto"), action = "REOPEN", note = "Wrong cost centre on the invoice" } }))
            .GetProperty("applyRowAction").GetProperty("row");
        Assert.Equal("AUTO_MATCHED", auto.GetProperty("status").GetString());
        Assert.Equal(["CONFIRM", "WRITE_OFF", "DEFER"], Actions(auto));
        var reopen = auto.GetProperty("auditTrail").EnumerateArray().Last();
        Assert.Equal(("CONFIRMED", "AUTO_MATCHED", "REOPEN", "Wrong cost centre on the invoice"),
            (reopen.GetProperty("fromStatus").GetString(), reopen.GetProperty("toStatus").GetString(), reopen.GetProperty("action").GetString(), reopen.GetProperty("note").GetString()));
        Assert.Equal(3, auto.GetProperty("auditTrail").GetArrayLength());   // ingest, confirm, reopen: the rematch is part of the reopen

        var again = await org.Row("auto").ApplyActionAsync(new RowCommand(RowAction.Confirm, null, auto.GetProperty("version").GetInt32(), "fin"));
        Assert.Equal(RowStatus.Confirmed, again.Row.Status);

        var near = await org.Row("near").ApplyActionAsync(new RowCommand(RowAction.Reopen, "vendor confirmed usage", null, "fin"));
        Assert.Equal((RowStatus.Suggested, 9.5m, "s2"), (near.Row.Status, near.Row.ObservedCostUsd, string.Join(',', near.Row.MatchedSessionIds)));
        Assert.Equal(4m, near.Summary.WrittenOff);   // only "none" stays written off

        var none = await org.Row("none").ApplyActionAsync(new RowCommand(RowAction.Reopen, "check again", null, "fin"));
        Assert.Equal(RowStatus.Unreconciled, none.Row.Status);
        Assert.Equal(0m, none.Summary.WrittenOff);
    }

    [Fact]
    public async Task Undefer_WhileTheRowWaits_BringsItBack_AndBothMonthsListWhatWaits()
    {
        cluster.Clock.Set(MidNovember);
        var org = await TestOrg.CreateAsync(cluster);
        await org.ObserveAsync(TestOrg.Session("s1", "alice", "2026-11-05T10:00:00Z", 30m));
        await org.BillAsync(TestOrg.BillRow("d1", "alice", "2026-11-05", 30m), TestOrg.BillRow("d2", "bob", "2026-11-06", 8m));
        var rid = GrainKeys.RowId("claude", "d1");

        // UNDEFER is for a waiting row only.
        await AssertUnchangedAsync(org, "d1", "claude", async () =>
            Assert.Equal("INVALID_TRANSITION", await org.ErrorCodeAsync(Action, new { input = new { rowId = rid, action = "UNDEFER" } })));

        var deferred = await org.Row("d1").ApplyActionAsync(new RowCommand(RowAction.Defer, null, null, "fin"));
        Assert.Equal(RowStatus.Deferred, deferred.Row.Status);
        Assert.Equal([RowAction.Undefer], deferred.Row.AvailableActions);
        await org.Row("d2").ApplyActionAsync(new RowCommand(RowAction.Defer, null, null, "fin"));

        var nov = (await org.DataAsync(Deferrals, new { period = "2026-11" })).GetProperty("reconciliation");
        var dec = (await org.DataAsync(Deferrals, new { period = "2026-12" })).GetProperty("reconciliation");
        static string[] Ids(JsonElement list) => list.EnumerateArray().Select(r => r.GetProperty("id").GetString()!).ToArray();
        Assert.Equal([rid, GrainKeys.RowId("claude", "d2")], Ids(nov.GetProperty("deferredOut")));
        Assert.Equal([rid, GrainKeys.RowId("claude", "d2")], Ids(dec.GetProperty("deferredIn")));
        Assert.Empty(Ids(nov.GetProperty("deferredIn")));

        await AssertUnchangedAsync(org, "d1", "claude", async () =>
            Assert.Equal("VERSION_CONFLICT", await org.ErrorCodeAsync(Action, new { input = new { rowId = rid, action = "UNDEFER", expectedVersion = 1 } })));

        var back = (await org.DataAsync(Action, new { input = new { rowId = rid, action = "UNDEFER", note = "Deferred by mistake", expectedVersion = deferred.Row.Version } }))
            .GetProperty("applyRowAction");
        var row = back.GetProperty("row");
        Assert.Equal(("AUTO_MATCHED", "2026-11", JsonValueKind.Null), (row.GetProperty("status").GetString(), row.GetProperty("period").GetString(), row.GetProperty("deferredTo").ValueKind));
        Assert.Equal("UNDEFER", row.GetProperty("auditTrail").EnumerateArray().Last().GetProperty("action").GetString());
        Assert.Equal("30", back.GetProperty("summary").GetProperty("observed").GetString());
        dec = (await org.DataAsync(Deferrals, new { period = "2026-12" })).GetProperty("reconciliation");
        Assert.Equal([GrainKeys.RowId("claude", "d2")], Ids(dec.GetProperty("deferredIn")));

        // December begins: d2 comes in and is listed there as deferred in (from November); d1 stays.
        cluster.Clock.Set(new DateTimeOffset(2026, 12, 1, 0, 0, 1, TimeSpan.Zero));
        Assert.Equal(1, await org.Grains.GetGrain<IDeferralClockGrain>(org.Id).ReturnDueAsync());
        Assert.Equal("2026-11", (await org.GetRowAsync("d1")).Period.ToString());
        dec = (await org.DataAsync(Deferrals, new { period = "2026-12" })).GetProperty("reconciliation");
        var arrived = Assert.Single(dec.GetProperty("deferredIn").EnumerateArray());
        Assert.Equal(("UNRECONCILED", "2026-12", "2026-11"), (arrived.GetProperty("status").GetString(), arrived.GetProperty("period").GetString(), arrived.GetProperty("deferredFrom").GetString()));
        // Once it has returned, it no longer waits: UNDEFER is not offered.
        await AssertUnchangedAsync(org, "d2", "claude", async () =>
            Assert.Equal("INVALID_TRANSITION", await org.ErrorCodeAsync(Action, new { input = new { rowId = GrainKeys.RowId("claude", "d2"), action = "UNDEFER" } })));
    }

    [Fact]
    public async Task NewActions_AreEventedOnRowStatusChanged()
    {
        cluster.Clock.Set(MidNovember);
        var org = await OrgWithRetainerAsync(cluster);
        await org.BillAsync(TestOrg.BillRow("w", "bob", "2026-11-01", 1m));
        await org.Row("retainer-2026-11", "gong").ApplyActionAsync(new RowCommand(RowAction.Confirm, "Retainer", null, "fin"));
        await org.Row("retainer-2026-11", "gong").ApplyActionAsync(new RowCommand(RowAction.Reopen, "Amount disputed", null, "fin"));
        await org.Row("w").ApplyActionAsync(new RowCommand(RowAction.Defer, null, null, "fin"));
        await org.Row("w").ApplyActionAsync(new RowCommand(RowAction.Undefer, null, null, "fin"));

        using var feed = await cluster.SubscribeAsync(org.Id,
            "subscription($after: String) { rowStatusChanged(after: $after) { action fromStatus toStatus row { id } } }", new { after = RowCursor.Encode(0) });
        var seen = new List<(string?, string?, string?)>();
        while (seen.Count < 6)
        {
            var e = (await feed.NextAsync()).GetProperty("data").GetProperty("rowStatusChanged");
            seen.Add((e.GetProperty("action").GetString(), e.GetProperty("fromStatus").GetString(), e.GetProperty("toStatus").GetString()));
        }
        Assert.Equal([(null, null, "UNRECONCILED"), (null, null, "AUTO_MATCHED"), ("CONFIRM", "UNRECONCILED", "CONFIRMED"),
                      ("REOPEN", "CONFIRMED", "UNRECONCILED"), ("DEFER", "AUTO_MATCHED", "DEFERRED"), ("UNDEFER", "DEFERRED", "AUTO_MATCHED")], seen);
    }
}
