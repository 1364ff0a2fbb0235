using System.Text.Json;
using Flowstate.Reconciliation;
using Flowstate.Tests.Infrastructure;

namespace Flowstate.Tests.Finance;

/// <summary>The org-wide audit log over GraphQL: filters, keyset pages in both orders, immutable entries with notes.</summary>
[Collection(ClusterCollection.Name)]
public sealed class AuditLogTests(FlowstateCluster cluster)
{
    private const string Log = """
        query($filter: AuditLogFilter, $first: Int, $after: String, $newestFirst: Boolean) {
          auditLog(filter: $filter, first: $first, after: $after, newestFirst: $newestFirst) {
            pageInfo { hasNextPage hasPreviousPage endCursor }
            edges { cursor node { cursor action actor note fromStatus toStatus period version row { id } } } } }
        """;

    private static async Task<(List<JsonElement> Nodes, bool HasNext, string? End)> PageAsync(TestOrg org, object? filter = null, int first = 50, string? after = null, bool newestFirst = false)
    {
        var log = (await org.DataAsync(Log, new { filter, first, after, newestFirst })).GetProperty("auditLog");
        var info = log.GetProperty("pageInfo");
        return (log.GetProperty("edges").EnumerateArray().Select(e => e.GetProperty("node")).ToList(),
                info.GetProperty("hasNextPage").GetBoolean(), info.GetProperty("endCursor").GetString());
    }

    private static async Task<List<JsonElement>> AllAsync(TestOrg org, object? filter, int first, bool newestFirst = false)
    {
        var all = new List<JsonElement>();
        string? after = null;
        while (true)
        {
            var (nodes, hasNext, end) = await PageAsync(org, filter, first, after, newestFirst);
            all.AddRange(nodes);
            if (!hasNext) return all;
            after = end;
        }
    }

    [Fact]
    public async Task AuditLog_FiltersAndPages_TheOrgsActions_WithTheirNotes()
    {
        var org = await TestOrg.CreateAsync(cluster);
        await org.ObserveAsync(TestOrg.Session("s1", "alice", "2026-11-03T10:00:00Z", 10m));
        await org.BillAsync(TestOrg.BillRow("r1", "alice", "2026-11-03", 10m), TestOrg.BillRow("r2", "bob", "2026-11-04", 7m),
            TestOrg.BillRow("r3", "bob", "2026-10-04", 3m));
        var r1 = org.Row("r1");
        await r1.ApplyActionAsync(new RowCommand(RowAction.Confirm, null, null, "fin@acme"));
        await org.Row("r2").ApplyActionAsync(new RowCommand(RowAction.WriteOff, "Personal key, not ours", null, "fin@acme"));
        await r1.ApplyActionAsync(new RowCommand(RowAction.Reopen, "Wrong person", null, "lead@acme"));
        await org.Row("r3").ApplyActionAsync(new RowCommand(RowAction.Defer, null, null, "fin@acme"));

        var everything = await AllAsync(org, null, 2);
        Assert.Equal(3 + 4 + 1, everything.Count);   // 3 ingests, 4 actions, the October row's return into November
        Assert.Equal(everything.Count, everything.Select(n => n.GetProperty("cursor").GetString()).Distinct().Count());

        var byFinance = (await PageAsync(org, new { actor = "fin@acme" })).Nodes;
        // Deferring a row of an ended month returns it at once: the return is logged as the same actor's, with no action.
        Assert.Equal(["CONFIRM", "WRITE_OFF", "DEFER", null], byFinance.Select(n => n.GetProperty("action").GetString()));
        var writeOff = Assert.Single((await PageAsync(org, new { action = "WRITE_OFF" })).Nodes);
        Assert.Equal(("Personal key, not ours", "WRITTEN_OFF", GrainKeys.RowId("claude", "r2")),
            (writeOff.GetProperty("note").GetString(), writeOff.GetProperty("toStatus").GetString(), writeOff.GetProperty("row").GetProperty("id").GetString()));
        var onR1 = (await PageAsync(org, new { rowId = GrainKeys.RowId("claude", "r1") }, newestFirst: true)).Nodes;
        Assert.Equal(["REOPEN", "CONFIRM", null], onR1.Select(n => n.GetProperty("action").GetString()));
        Assert.Equal("Wrong person", onR1[0].GetProperty("note").GetString());
        Assert.Equal(2, (await PageAsync(org, new { period = "2026-10" })).Nodes.Count);   // r3 ingested and deferred out of October
        Assert.Empty((await PageAsync(org, new { providerId = "other" })).Nodes);
        Assert.Empty((await PageAsync(org, new { from = "2999-01-01T00:00:00Z" })).Nodes);
        Assert.Equal(everything.Count, (await PageAsync(org, new { to = "2999-01-01T00:00:00Z" })).Nodes.Count);

        // Entries are the change as logged: later actions add entries and change none.
        await r1.ApplyActionAsync(new RowCommand(RowAction.WriteOff, "Duplicate of an invoice line", null, "fin@acme"));
        var after = await AllAsync(org, null, 3);
        Assert.Equal(everything.Count + 1, after.Count);
        Assert.Equal(everything.Select(e => e.GetProperty("note").ToString() + e.GetProperty("toStatus")), after.Take(everything.Count).Select(e => e.GetProperty("note").ToString() + e.GetProperty("toStatus")));
        Assert.Equal(after.AsEnumerable().Reverse().Select(e => e.GetProperty("cursor").GetString()), (await AllAsync(org, null, 4, newestFirst: true)).Select(e => e.GetProperty("cursor").GetString()));

        Assert.Equal("INVALID_INPUT", await org.ErrorCodeAsync("{ auditLog(after: \"bm90LWEtY3Vyc29y\") { edges { cursor } } }"));
        Assert.Equal("INVALID_INPUT", await org.ErrorCodeAsync("{ auditLog(filter: { period: \"November\" }) { edges { cursor } } }"));
        Assert.Equal("INVALID_INPUT", await org.ErrorCodeAsync("{ auditLog(first: 0) { edges { cursor } } }"));
        // Another org's log is not this org's.
        var other = await TestOrg.CreateAsync(cluster);
        Assert.Empty((await PageAsync(other, null)).Nodes);
    }
}
