using Flowstate.Ingestion;
using Flowstate.Tests.Infrastructure;

namespace Flowstate.Tests.Integration;

/// <summary>
/// The fold lag (DESIGN §9: the age of the oldest unfolded item) as the providers' telemetry status
/// shows it: while the fold cannot store a partition it grows, the acknowledged sessions wait durable
/// in the log, and once storage takes writes again the fold catches up and the lag is back to zero.
/// </summary>
[Collection(DurabilityCollection.Name)]
public sealed class FoldLagTests(FlowstateCluster cluster)
{
    [Fact]
    public async Task FoldLag_GrowsWhileTheFoldIsStuck_AndIsZeroOnceItCatchesUp()
    {
        var org = await TestOrg.CreateAsync(cluster);
        using (var fault = cluster.Faults.FailWrites("usage-partition", org.Id, times: int.MaxValue))
        {
            var answer = await org.Ingestion.IngestSessionsAsync([TestOrg.Session("late", "alice", "2026-11-03T09:00:00Z", 2m)], IngestWait.Durable);
            Assert.Equal((1, false), (answer.Accepted, answer.Visible));
            await FlowstateCluster.EventuallyAsync(async () => await StatusAsync(org) is { Unfolded: 1, Lag: > 0.5 }, "the fold lag shows the waiting session");
            Assert.True(fault.Failed >= 1);
            Assert.Equal(0m, (await org.Period("2026-11").GetSummaryAsync()).Observed);
        }
        await cluster.FoldedAsync();
        Assert.Equal((0, 0d), await StatusAsync(org));
        Assert.Equal(2m, (await org.Period("2026-11").GetSummaryAsync()).Observed);
    }

    private static async Task<(int Unfolded, double Lag)> StatusAsync(TestOrg org)
    {
        var data = await org.DataAsync("""{ providers { id telemetryStatus { unfoldedItems foldLagSeconds } } }""");
        var status = data.GetProperty("providers")[0].GetProperty("telemetryStatus");
        return (status.GetProperty("unfoldedItems").GetInt32(), status.GetProperty("foldLagSeconds").GetDouble());
    }
}
