using Flowstate.Tests.Infrastructure;

namespace Flowstate.Tests.Finance;

/// <summary>DESIGN §12: rows of days the provider has not settled are marked provisional until a later pull settles them.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ProvisionalRowTests(FlowstateCluster cluster)
{
    private const string Ingest = """
        mutation($provisional: Boolean, $total: Decimal!) { ingestBillingRows(input: { providerId: "claude", rows: [
          { externalId: "day-19", subject: "alice", usageDate: "2026-11-19", totalCostUsd: $total, provisional: $provisional } ] }) {
          accepted duplicates rejected { code } } }
        """;

    private const string Row = """{ billingRow(id: "claude/day-19") { provisional totalCostUsd version } }""";

    [Fact]
    public async Task AProvisionalRow_SaysSo_AndASettlingPullClearsIt()
    {
        var org = await TestOrg.CreateAsync(cluster);
        var first = (await org.DataAsync(Ingest, new { provisional = true, total = "4.20" })).GetProperty("ingestBillingRows");
        Assert.Equal(1, first.GetProperty("accepted").GetInt32());
        var row = (await org.DataAsync(Row)).GetProperty("billingRow");
        Assert.True(row.GetProperty("provisional").GetBoolean());

        // The same day settled, at a revised amount: one update, and the flag is gone.
        await org.DataAsync(Ingest, new { provisional = false, total = "4.35" });
        row = (await org.DataAsync(Row)).GetProperty("billingRow");
        Assert.Equal((false, "4.35"), (row.GetProperty("provisional").GetBoolean(), row.GetProperty("totalCostUsd").GetString()));

        // Without the field, a row is settled: re-sending it changes nothing.
        var again = (await org.DataAsync(Ingest, new { provisional = (bool?)null, total = "4.35" })).GetProperty("ingestBillingRows");
        Assert.Equal((0, 1), (again.GetProperty("accepted").GetInt32(), again.GetProperty("duplicates").GetInt32()));
    }
}
