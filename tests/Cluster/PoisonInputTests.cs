using System.Text.Json;
using Flowstate.Reconciliation;
using Flowstate.Tests.Infrastructure;

namespace Flowstate.Tests.Cluster;

/// <summary>
/// Regression tests for inputs that once reached PostgreSQL and poisoned a grain (issue 13): each is
/// refused at the edge with INVALID_INPUT, nothing is written, and clean input afterwards works.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PoisonInputTests(FlowstateCluster cluster)
{
    private const string Action = """
        mutation($input: RowActionInput!) { applyRowAction(input: $input) { row { status version auditTrail { version action } } summary { writtenOff } } }
        """;

    private const string IngestRows = """
        mutation($input: IngestBillingRowsInput!) { ingestBillingRows(input: $input) { accepted duplicates rejected { index code message } } }
        """;

    private const string IngestSessions = """
        mutation($input: IngestSessionsInput!) { ingestSessions(input: $input) { accepted duplicates rejected { index code message } } }
        """;

    private static object Session(string id, string model = "sonnet", string? repo = null, string cost = "1.25") =>
        new { id, subject = "alice", providerId = "claude", model, startedAt = "2026-11-03T10:00:00Z", inputTokens = 100, outputTokens = 10,
              costUsd = cost, context = repo is null ? null : new { repo } };

    [Fact]
    public async Task NulInAWriteOffNote_IsRefused_AndTheRowAndPeriodStayAsTheyWere()
    {
        var org = await TestOrg.CreateAsync(cluster);
        await org.BillAsync(TestOrg.BillRow("orphan", "bob", "2026-11-07", 12m));
        var before = await org.GetRowAsync("orphan");
        var input = new { rowId = GrainKeys.RowId("claude", "orphan"), action = "WRITE_OFF", note = "nul \u0000 inside", expectedVersion = before.Version };

        var response = await org.GraphQLAsync(Action, new { input });
        var error = response.GetProperty("errors")[0];
        Assert.Equal("INVALID_INPUT", error.GetProperty("extensions").GetProperty("code").GetString());
        Assert.Contains("U+0000", error.GetProperty("message").GetString());

        var after = await org.GetRowAsync("orphan");
        Assert.Equal((RowStatus.Unreconciled, before.Version), (after.Status, after.Version));
        Assert.Equal(0m, (await org.Period("2026-11").GetSummaryAsync()).WrittenOff);

        // The same action with a clean (multi-line) note goes through, and the period counts it.
        var done = await org.DataAsync(Action, new { input = input with { note = "no usage seen\nchecked with the team" } });
        Assert.Equal("12", done.GetProperty("applyRowAction").GetProperty("summary").GetProperty("writtenOff").GetString());
    }

    [Fact]
    public async Task NulInASessionsModelContextOrId_RejectsThatSessionOnly_AndLaterSessionsLand()
    {
        var org = await TestOrg.CreateAsync(cluster);
        var result = (await org.DataAsync(IngestSessions, new { input = new { sessions = new[]
        {
            Session("clean-1"), Session("bad-model", model: "son\u0000net"), Session("bad-repo", repo: "github.com/acme/\u0000web"), Session("bad\u0000id"),
        } } })).GetProperty("ingestSessions");
        Assert.Equal(1, result.GetProperty("accepted").GetInt32());
        Assert.Equal([1, 2, 3], result.GetProperty("rejected").EnumerateArray().Select(r => r.GetProperty("index").GetInt32()));
        Assert.All(result.GetProperty("rejected").EnumerateArray(), r => Assert.Equal("INVALID_INPUT", r.GetProperty("code").GetString()));
        Assert.Contains("context.repo", result.GetProperty("rejected")[1].GetProperty("message").GetString());

        var later = (await org.DataAsync(IngestSessions, new { input = new { sessions = new[] { Session("clean-2") } } })).GetProperty("ingestSessions");
        Assert.Equal(1, later.GetProperty("accepted").GetInt32());
        await FlowstateCluster.EventuallyAsync(async () => (await org.Period("2026-11").GetSummaryAsync()).Observed == 2.5m, "both clean sessions observed");
        var table = await org.DataAsync("""{ sessions(range: LAST_30_DAYS, asOf: "2026-11-20") { totalCount } }""");
        Assert.Equal(2, table.GetProperty("sessions").GetProperty("totalCount").GetInt32());
    }

    [Fact]
    public async Task NulInABillingRowsSubject_IsRejected_AndNeverCountedAsADuplicate()
    {
        var org = await TestOrg.CreateAsync(cluster);
        var rows = new[] { new { externalId = "r1", subject = "bo\u0000b", usageDate = "2026-11-03", totalCostUsd = "5" } };
        var first = (await org.DataAsync(IngestRows, new { input = new { providerId = "claude", rows } })).GetProperty("ingestBillingRows");
        var again = (await org.DataAsync(IngestRows, new { input = new { providerId = "claude", rows } })).GetProperty("ingestBillingRows");
        foreach (var r in new[] { first, again })
        {
            Assert.Equal((0, 0), (r.GetProperty("accepted").GetInt32(), r.GetProperty("duplicates").GetInt32()));
            Assert.Equal("INVALID_INPUT", r.GetProperty("rejected")[0].GetProperty("code").GetString());
        }
        Assert.Null(await org.Row("r1").GetAsync());
        Assert.Equal(0m, (await org.Period("2026-11").GetSummaryAsync()).Billed);
    }

    [Theory]
    [InlineData("79228162514264337593543950335")]   // decimal.MaxValue: a year's sum overflowed
    [InlineData("1000000000000")]
    [InlineData("0.123456789012345678901234567890")] // was rounded silently, breaking Billed = Σ buckets
    public async Task MoneyBeyondItsBounds_IsRefused_NotRounded(string amount)
    {
        var org = await TestOrg.CreateAsync(cluster);
        var row = (await org.DataAsync(IngestRows, new { input = new { providerId = "claude", rows = new[]
            { new { externalId = "big", subject = "bob", usageDate = "2026-11-03", totalCostUsd = amount } } } })).GetProperty("ingestBillingRows");
        Assert.Equal(0, row.GetProperty("accepted").GetInt32());
        Assert.Contains("decimal places", row.GetProperty("rejected")[0].GetProperty("message").GetString());

        var session = (await org.DataAsync(IngestSessions, new { input = new { sessions = new[] { Session("big", cost: amount) } } })).GetProperty("ingestSessions");
        Assert.Equal("INVALID_INPUT", session.GetProperty("rejected")[0].GetProperty("code").GetString());

        // Literal amounts (not variables) are held to the same bounds.
        var literal = await org.GraphQLAsync($$"""mutation { ingestBillingRows(input: { providerId: "claude", rows: [{ externalId: "lit", usageDate: "2026-11-03", totalCostUsd: "{{amount}}" }] }) { accepted rejected { code } } }""");
        Assert.Equal(0, literal.GetProperty("data").GetProperty("ingestBillingRows").GetProperty("accepted").GetInt32());

        // The largest amount taken sums over a year in both modes (computed costs keep 6 places).
        await org.ObserveAsync(TestOrg.Session("fine", "alice", "2026-11-03T10:00:00Z", 999_999_999_999.999999m));
        foreach (var mode in new[] { "INCREMENTAL", "MARKET" })
        {
            var year = await org.DataAsync($$"""{ attribution(range: LAST_YEAR, costMode: {{mode}}, asOf: "2026-11-20") { total } }""");
            Assert.Equal("999999999999.999999", year.GetProperty("attribution").GetProperty("total").GetString());
        }
    }

    [Fact]
    public async Task LongTextAndControlCharacters_AreRefusedNamingTheField()
    {
        var org = await TestOrg.CreateAsync(cluster);
        var result = (await org.DataAsync(IngestRows, new { input = new { providerId = "claude", rows = new object[]
        {
            new { externalId = "long", subject = "bob", usageDate = "2026-11-03", totalCostUsd = "1", description = new string('d', 2001) },
            new { externalId = "escape", subject = "bob\u001b[2J", usageDate = "2026-11-03", totalCostUsd = "1" },
            new { externalId = "fine", subject = "bob", usageDate = "2026-11-03", totalCostUsd = "1", description = "two\nlines" },
        } } })).GetProperty("ingestBillingRows");
        Assert.Equal(1, result.GetProperty("accepted").GetInt32());
        var messages = result.GetProperty("rejected").EnumerateArray().Select(r => r.GetProperty("message").GetString()!).ToList();
        Assert.Contains("description is 2001 characters long", messages[0]);
        Assert.Contains("subject has the control character U+001B", messages[1]);

        var workforce = await org.GraphQLAsync("""
            mutation($input: WorkforceInput!) { upsertWorkforce(input: $input) { people } }
            """, new { input = new { people = new[] { new { id = "eve", name = "Eve\u0000", allocations = Array.Empty<object>() } } } });
        Assert.Equal("INVALID_INPUT", workforce.GetProperty("errors")[0].GetProperty("extensions").GetProperty("code").GetString());
        Assert.Contains("people[0].name", workforce.GetProperty("errors")[0].GetProperty("message").GetString());
    }

    [Fact]
    public async Task TheAuditTrail_IsBoundedOnTheRow_AndWholeInTheAuditLog()
    {
        var org = await TestOrg.CreateAsync(cluster);
        await org.BillAsync(TestOrg.BillRow("cycled", "bob", "2026-11-07", 12m));
        var rowId = GrainKeys.RowId("claude", "cycled");
        var version = (await org.GetRowAsync("cycled")).Version;
        const int cycles = 30;
        for (var i = 0; i < cycles; i++)
        {
            foreach (var action in new[] { "WRITE_OFF", "REOPEN" })
            {
                var row = (await org.DataAsync(Action, new { input = new { rowId, action, note = new string('n', 2000), expectedVersion = version } }))
                    .GetProperty("applyRowAction").GetProperty("row");
                version = row.GetProperty("version").GetInt32();
            }
        }
        var trail = (await org.GetRowAsync("cycled")).AuditTrail;
        Assert.InRange(trail.Count, 1, BillingRowState.AuditHeld + 2);
        Assert.Equal(version, trail[^1].Version);

        var total = 0;
        string? after = null;
        do
        {
            var page = (await org.DataAsync("""
                query($rowId: ID, $after: String) { auditLog(filter: { rowId: $rowId }, first: 25, after: $after) { edges { node { action } } pageInfo { hasNextPage endCursor } } }
                """, new { rowId, after })).GetProperty("auditLog");
            total += page.GetProperty("edges").GetArrayLength();
            after = page.GetProperty("pageInfo").GetProperty("hasNextPage").GetBoolean() ? page.GetProperty("pageInfo").GetProperty("endCursor").GetString() : null;
        } while (after is not null);
        Assert.Equal(1 + 2 * cycles, total);   // ingest + every action
    }
}
