using Flowstate.Tests.Infrastructure;

namespace Flowstate.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class IngestValidationTests(FlowstateCluster cluster)
{
    private const string IngestRows = """
        mutation($input: IngestBillingRowsInput!) { ingestBillingRows(input: $input) { accepted duplicates rejected { index code message } } }
        """;

    private const string IngestSessions = """
        mutation($input: IngestSessionsInput!) { ingestSessions(input: $input) { accepted duplicates rejected { index code message } } }
        """;

    [Fact]
    public async Task BadBillingRows_AreRejectedOneByOne_GoodOnesLand()
    {
        var org = await TestOrg.CreateAsync(cluster);
        var rows = new object[]
        {
            new { externalId = "ok-1", subject = "alice", usageDate = "2026-11-03", totalCostUsd = "10.50" },
            new { externalId = "bad-date", subject = "alice", usageDate = "2026-02-30", totalCostUsd = "1" },
            new { externalId = "neg", subject = "alice", usageDate = "2026-11-03", totalCostUsd = "-4" },
            new { externalId = "dup", subject = "alice", usageDate = "2026-11-03", totalCostUsd = "1" },
            new { externalId = "dup", subject = "bob", usageDate = "2026-11-03", totalCostUsd = "2" },
            new { externalId = "money", subject = "alice", usageDate = "2026-11-03", totalCostUsd = "ten" },
            new { externalId = "credit", usageDate = "2026-11-03", totalCostUsd = -4, kind = "CREDIT" },
            new { externalId = "  ", usageDate = "2026-11-03", totalCostUsd = 1 },
            new { externalId = "future", usageDate = "2030-01-01", totalCostUsd = 1 },
        };
        var result = (await org.DataAsync(IngestRows, new { input = new { providerId = "claude", rows } })).GetProperty("ingestBillingRows");
        Assert.Equal(2, result.GetProperty("accepted").GetInt32());
        var rejected = result.GetProperty("rejected").EnumerateArray().ToDictionary(r => r.GetProperty("index").GetInt32(), r => r.GetProperty("code").GetString());
        Assert.Equal(new Dictionary<int, string?>
        {
            [1] = "INVALID_INPUT", [2] = "INVALID_INPUT", [3] = "DUPLICATE_IN_BATCH", [4] = "DUPLICATE_IN_BATCH",
            [5] = "INVALID_INPUT", [7] = "INVALID_INPUT", [8] = "INVALID_INPUT",
        }, rejected);
        Assert.Contains("2026-02-30", result.GetProperty("rejected")[0].GetProperty("message").GetString());
        Assert.Equal(6.5m, (await org.Period("2026-11").GetSummaryAsync()).Billed);
        Assert.Null(await org.Row("dup").GetAsync());
    }

    [Fact]
    public async Task UnknownProvider_FailsTheWholeBatch_AndWritesNothing()
    {
        var org = await TestOrg.CreateAsync(cluster);
        var code = await org.ErrorCodeAsync(IngestRows, new { input = new { providerId = "nope", rows = new[] { new { externalId = "x", usageDate = "2026-11-01", totalCostUsd = "1" } } } });
        Assert.Equal("NOT_FOUND", code);
        Assert.Null(await org.Row("x", "nope").GetAsync());
    }

    [Fact]
    public async Task BadSessions_AreRejectedOneByOne()
    {
        var org = await TestOrg.CreateAsync(cluster);
        object S(string id, string provider = "claude", string model = "sonnet", string started = "2026-11-03T10:00:00Z", long input = 1000, double? frustration = null) =>
            new { id, subject = "alice", providerId = provider, model, startedAt = started, inputTokens = input, outputTokens = 10, frustration };
        var sessions = new[]
        {
            S("good"), S("unknown-provider", provider: "nope"), S("no-price", model: "gpt-9"), S("bad-time", started: "yesterday"),
            S("neg", input: -5), S("frus", frustration: 1.5),
        };
        var result = (await org.DataAsync(IngestSessions, new { input = new { sessions } })).GetProperty("ingestSessions");
        Assert.Equal(1, result.GetProperty("accepted").GetInt32());
        Assert.Equal(["NOT_FOUND", "NO_PRICE", "INVALID_INPUT", "INVALID_INPUT", "INVALID_INPUT"],
            result.GetProperty("rejected").EnumerateArray().Select(r => r.GetProperty("code").GetString()));
        // 1000 input tokens at $3/MTok + 10 output at $15/MTok
        Assert.Equal(0.00315m, (await org.Period("2026-11").GetSummaryAsync()).Observed);
    }

    [Fact]
    public async Task Providers_AreConfigurable_AndShowCoverageAndLastPull()
    {
        var org = await TestOrg.CreateAsync(cluster);
        var configured = await org.DataAsync("""
            mutation { configureProvider(input: { id: "gong", name: "Gong", modality: "sales", plan: { seatFeeUsd: "120", discount: 0 } }) { id coverage seatFeeUsd } }
            """);
        Assert.Equal("NOT_MONITORED", configured.GetProperty("configureProvider").GetProperty("coverage").GetString());
        Assert.Equal("120", configured.GetProperty("configureProvider").GetProperty("seatFeeUsd").GetString());
        Assert.Equal("INVALID_INPUT", await org.ErrorCodeAsync("""mutation { configureProvider(input: { id: "x", name: "X", plan: { discount: "1.5" } }) { id } }"""));

        await org.BillAsync(TestOrg.BillRow("r", "alice", "2026-11-01", 1m));
        var providers = (await org.DataAsync("{ providers { id coverage lastBillingPull { accepted rejected } } }")).GetProperty("providers");
        var claude = providers.EnumerateArray().Single(p => p.GetProperty("id").GetString() == "claude");
        Assert.Equal("BILLING_ONLY", claude.GetProperty("coverage").GetString());
        Assert.Equal(1, claude.GetProperty("lastBillingPull").GetProperty("accepted").GetInt32());
    }

    [Fact]
    public async Task Workforce_ResolvesSubjectsByIdOrEmail_AndRejectsBadModelsWhole()
    {
        var org = await TestOrg.CreateAsync(cluster);
        var ok = await org.DataAsync("""
            mutation { upsertWorkforce(input: {
              costCentres: [{ id: "cc1", name: "R&D" }],
              teams: [{ id: "t1", name: "Platform", costCentreId: "cc1" }, { id: "t2", name: "Payments", parentId: "t1", costCentreId: "cc1" }],
              people: [{ id: "dana", email: "Dana@Acme.example", name: "Dana", allocations: [{ teamId: "t1", fte: "0.5" }, { teamId: "t2", fte: "0.5" }] }],
              projects: [{ id: "p1", name: "Checkout", repos: ["github.com/acme/checkout"] }] }) { people teams costCentres projects } }
            """);
        Assert.Equal(3, ok.GetProperty("upsertWorkforce").GetProperty("people").GetInt32());
        Assert.Equal("INVALID_INPUT", await org.ErrorCodeAsync("""
            mutation { upsertWorkforce(input: { people: [{ id: "eve", name: "Eve", allocations: [{ teamId: "t1", fte: "0.7" }, { teamId: "t2", fte: "0.4" }] }] }) { people } }
            """));
        Assert.Equal("INVALID_INPUT", await org.ErrorCodeAsync("""
            mutation { upsertWorkforce(input: { teams: [{ id: "t1", name: "Platform", parentId: "t2" }] }) { teams } }
            """));
        Assert.Equal("NOT_FOUND", await org.ErrorCodeAsync("""
            mutation { upsertWorkforce(input: { people: [{ id: "finn", name: "Finn" }], teams: [{ id: "t9", name: "X", parentId: "ghost" }] }) { people } }
            """));
        Assert.Equal(3, (await org.DataAsync("mutation { upsertWorkforce(input: {}) { people } }")).GetProperty("upsertWorkforce").GetProperty("people").GetInt32());

        await org.ObserveAsync(TestOrg.Session("d1", "dana@acme.EXAMPLE", "2026-11-09T10:00:00Z", 4m));
        await org.BillAsync(TestOrg.BillRow("dana-row", "dana", "2026-11-09", 4m));
        Assert.Equal(Flowstate.Reconciliation.RowStatus.AutoMatched, (await org.GetRowAsync("dana-row")).Status);
    }
}
