using System.Globalization;
using System.Text.Json;
using Flowstate.GraphQL.Types;
using Flowstate.Reconciliation;
using Flowstate.Silo.Exports;
using Flowstate.Storage;
using Flowstate.Tests.Infrastructure;
using Npgsql;

namespace Flowstate.Tests.Cluster;

/// <summary>
/// Tenant isolation (DESIGN §7): two orgs with identical person, team, provider, row and session
/// ids and different amounts. With org B's token on A's ids, every root query answers only B's
/// data, subscriptions see only B's events, and B's mutations cannot reach A's keys.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class TenantIsolationTests(FlowstateCluster cluster)
{
    /// <summary>Amounts and text only org A has: none of them may appear in anything B reads.</summary>
    private static readonly string[] SecretsOfA = ["7777.13", "6666.29", "14443.42", "a-only-note", "a-agent-key"];

    private async Task<(TestOrg A, TestOrg B)> TwinOrgsAsync()
    {
        var a = await TestOrg.CreateAsync(cluster);
        var b = await TestOrg.CreateAsync(cluster);
        foreach (var (org, alice, bob) in new[] { (a, 7777.13m, 6666.29m), (b, 11m, 22m) })
        {
            await org.UseSmallWorkforceAsync();
            await org.ObserveAsync(TestOrg.Session("s1", "alice", "2026-11-03T10:00:00Z", alice), TestOrg.Session("s2", "bob", "2026-11-04T10:00:00Z", bob));
            await org.BillAsync(TestOrg.BillRow("r1", "alice", "2026-11-03", alice), TestOrg.BillRow("r2", "bob", "2026-11-04", bob));
        }
        await a.DataAsync("""mutation { applyRowAction(input: { rowId: "claude/r2", action: WRITE_OFF, note: "a-only-note" }) { row { status } } }""");
        await a.DataAsync("""mutation { createIngestKey(input: { name: "a-agent-key", roles: ["ingest"] }) { secret } }""");
        await a.DataAsync("""mutation { configureOrg(input: { plan: ENTERPRISE }) { plan } }""");
        // Both orgs' rollups have landed (B's queries must not be racing an empty A, nor find B half-loaded).
        foreach (var (org, total) in new[] { (a, "14443.42"), (b, "33") })
            await FlowstateCluster.EventuallyAsync(async () =>
            {
                var data = await org.DataAsync("""{ attribution(asOf: "2026-11-20") { total } reconciliation(period: "2026-11") { summary { billed } } }""");
                return data.GetProperty("attribution").GetProperty("total").GetString() == total
                    && data.GetProperty("reconciliation").GetProperty("summary").GetProperty("billed").GetString() == total;
            }, $"org {org.Id}'s totals");
        return (a, b);
    }

    /// <summary>Every root query, asked with A's ids.</summary>
    private const string EveryQuery = """
        {
          reconciliation(period: "2026-11", statuses: [UNRECONCILED, SUGGESTED, AUTO_MATCHED, CONFIRMED, WRITTEN_OFF, DEFERRED]) {
            summary { billed observed writtenOff residual } buckets { amount }
            rows { totalCount edges { node { id totalCostUsd observedCostUsd note auditTrail { actor note } } } } }
          r1: billingRow(id: "claude/r1") { totalCostUsd auditTrail { note } }
          r2: billingRow(id: "claude/r2") { totalCostUsd note auditTrail { note } }
          whole: attribution(asOf: "2026-11-20") { total byProvider { amount } topSpenders { key amount } children { amount } byCostCentre { amount } }
          team: attribution(asOf: "2026-11-20", scope: { teamId: "platform" }) { total children { amount } }
          person: attribution(asOf: "2026-11-20", scope: { personId: "alice" }) { total }
          sessions(asOf: "2026-11-20") { totalCount edges { node { id costUsd marketCostUsd } } }
          s1: session(id: "s1") { costUsd content { prompt } }
          myUsage(personId: "alice", asOf: "2026-11-20") { spend sessionCount sessions { edges { node { costUsd } } } }
          auditLog(first: 200) { edges { node { actor note row { totalCostUsd } } } }
          exportLink(period: "2026-11", format: ROWS) { url }
          ingestKeys { name prefix }
          providers { id name }
          projects { id }
          org { id plan }
          contentAccessDenials { sessionId }
          monitoringGaps { __typename }
        }
        """;

    [Fact]
    public async Task OrgB_OnOrgAsIds_SeesNothingOfA_InAnyRootQuery()
    {
        var (a, b) = await TwinOrgsAsync();
        var json = (await cluster.GraphQLAsync(b.Id, EveryQuery)).GetRawText();
        Assert.DoesNotContain("\"errors\"", json);
        AssertNothingOf(a, json);
        // And it is B's data that came back, not an empty answer.
        using var doc = JsonDocument.Parse(json);
        var data = doc.RootElement.GetProperty("data");
        Assert.Equal("33", data.GetProperty("reconciliation").GetProperty("summary").GetProperty("billed").GetString());
        Assert.Equal("11", data.GetProperty("r1").GetProperty("totalCostUsd").GetString());
        Assert.Equal(2, data.GetProperty("sessions").GetProperty("totalCount").GetInt32());
        Assert.Equal("11", data.GetProperty("s1").GetProperty("costUsd").GetString());
        Assert.Equal("STANDARD", data.GetProperty("org").GetProperty("plan").GetString());
        Assert.Equal(0, data.GetProperty("ingestKeys").GetArrayLength());
        Assert.Equal(b.Id, data.GetProperty("org").GetProperty("id").GetString());

        // The same for B's finance and a B engineer who is "alice" in B.
        AssertNothingOf(a, (await cluster.GraphQLAsync(FlowstateCluster.As(b.Id, "finance"),
            """{ reconciliation(period: "2026-11") { summary { billed } } auditLog { edges { node { note } } } }""")).GetRawText());
        var engineer = new FlowstateUserContext { Org = b.Id, Actor = "alice@b", Roles = new HashSet<string> { "engineer" }, Person = "alice" };
        AssertNothingOf(a, (await cluster.GraphQLAsync(engineer,
            """{ myUsage(asOf: "2026-11-20") { spend sessions { edges { node { costUsd content { prompt } } } } } session(id: "s1") { costUsd } }""")).GetRawText());
    }

    [Fact]
    public async Task OrgB_Exports_CarryNothingOfA()
    {
        var (a, b) = await TwinOrgsAsync();
        await using var db = NpgsqlDataSource.Create(cluster.Database.ConnectionString);
        var exporter = new LedgerExporter(new ExportStore(db), cluster.Grains);
        foreach (var format in Enum.GetValues<ExportFormat>())
        {
            var text = new StringWriter(CultureInfo.InvariantCulture);
            await exporter.WriteAsync(format, b.Id, Period.Parse("2026-11"), text);
            AssertNothingOf(a, text.ToString());
        }
    }

    [Fact]
    public async Task OrgB_CannotRevokeOrSeeOrgAsIngestKey()
    {
        var (a, b) = await TwinOrgsAsync();
        var key = (await a.DataAsync("{ ingestKeys { id name revokedAt } }")).GetProperty("ingestKeys")[0];
        var response = await cluster.GraphQLAsync(b.Id, "mutation($id: ID!) { revokeIngestKey(id: $id) { id } }", new { id = key.GetProperty("id").GetString() });
        Assert.Equal("NOT_FOUND", response.GetProperty("errors")[0].GetProperty("extensions").GetProperty("code").GetString());
        var after = (await a.DataAsync("{ ingestKeys { id name revokedAt } }")).GetProperty("ingestKeys")[0];
        Assert.Equal(JsonValueKind.Null, after.GetProperty("revokedAt").ValueKind);
    }

    [Fact]
    public async Task OrgB_Subscriptions_SeeOnlyBsEvents()
    {
        var (a, b) = await TwinOrgsAsync();
        // Each feed resumes from its org's latest cursor, so it replays anything it might miss while going live.
        const string Rows = """subscription($after: String) { rowStatusChanged(period: "2026-11", after: $after) { cursor note actor row { id totalCostUsd } } }""";
        async Task<string> LatestAsync(TestOrg org) => (await org.DataAsync("{ auditLog(first: 1, newestFirst: true) { edges { cursor } } }"))
            .GetProperty("auditLog").GetProperty("edges")[0].GetProperty("cursor").GetString()!;
        using var bRows = await cluster.SubscribeAsync(b.Id, Rows, new { after = await LatestAsync(b) });
        using var aRows = await cluster.SubscribeAsync(a.Id, Rows, new { after = await LatestAsync(a) });
        using var bSummary = await cluster.SubscribeAsync(b.Id, """subscription { periodSummaryChanged(period: "2026-11") { billed writtenOff } }""");
        Assert.NotNull(bRows.Handle);
        Assert.NotNull(bSummary.Handle);

        // A acts first, and its own subscriber has its event before B acts: had it leaked, it would be first in B's queue.
        await a.DataAsync("""mutation { applyRowAction(input: { rowId: "claude/r1", action: WRITE_OFF, note: "a-only-note" }) { row { status } } }""");
        Assert.Contains("7777.13", (await aRows.NextAsync()).GetRawText());
        await b.DataAsync("""mutation { applyRowAction(input: { rowId: "claude/r1", action: WRITE_OFF, note: "b note" }) { row { status } } }""");

        var first = (await bRows.NextAsync()).GetRawText();
        Assert.Contains("b note", first);
        AssertNothingOf(a, first);
        Assert.True(await bRows.QuietForAsync(TimeSpan.FromMilliseconds(500)), "B's feed received a second event");
        while (bSummary.Events.Reader.TryRead(out var summary)) AssertNothingOf(a, summary.GetRawText());

        // A cursor taken from A's feed resumes B's own log, never A's.
        var aCursor = (await a.DataAsync("{ auditLog(first: 1) { edges { cursor } } }")).GetProperty("auditLog").GetProperty("edges")[0].GetProperty("cursor").GetString();
        using var replay = await cluster.SubscribeAsync(b.Id, """subscription($after: String) { rowStatusChanged(after: $after) { note row { totalCostUsd } } }""", new { after = aCursor });
        Assert.NotNull(replay.Handle);
        var replayed = (await replay.NextAsync()).GetRawText();
        AssertNothingOf(a, replayed);
    }

    private static void AssertNothingOf(TestOrg a, string text)
    {
        foreach (var secret in SecretsOfA) Assert.DoesNotContain(secret, text);
        if (text.Length > 0) Assert.DoesNotContain(a.Id, text);
    }
}
