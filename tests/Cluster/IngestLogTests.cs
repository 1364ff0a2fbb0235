using System.Text.Json;
using Flowstate.Ingestion;
using Flowstate.Tests.Infrastructure;

namespace Flowstate.Tests.Cluster;

/// <summary>
/// ingestSessions through the ingest log (DESIGN §9): first write wins with a reported conflict,
/// read-your-writes by default and DURABLE for loaders, and the providers' telemetry status
/// (a rejected-only batch is a failed run, never a successful one).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class IngestLogTests(FlowstateCluster cluster)
{
    private const string Ingest = """
        mutation($i: IngestSessionsInput!) { ingestSessions(input: $i) { accepted duplicates visible rejected { index code message } } }
        """;

    private const string Status = """
        { providers { id telemetryStatus { foldLagSeconds unfoldedItems lastRun { at accepted duplicates rejected status errors }
            lastReceived { at accepted status } } } }
        """;

    private static object Session(string id, string cost, string subject = "alice") =>
        new { id, subject, providerId = "claude", model = "sonnet", startedAt = "2026-11-03T09:00:00Z", inputTokens = 1000, outputTokens = 200, costUsd = cost };

    [Fact]
    public async Task IngestSessions_AReSendThatDiffers_IsAConflict_AndTheFirstWriteStays()
    {
        var org = await TestOrg.CreateAsync(cluster);
        var first = (await org.DataAsync(Ingest, new { i = new { sessions = new[] { Session("s1", "2.50"), Session("s2", "1") } } })).GetProperty("ingestSessions");
        Assert.Equal((2, 0, true), (first.GetProperty("accepted").GetInt32(), first.GetProperty("duplicates").GetInt32(), first.GetProperty("visible").GetBoolean()));

        // The same values (money written differently) are a duplicate; another cost is a conflict, reported and not applied.
        var again = (await org.DataAsync(Ingest, new { i = new { sessions = new[] { Session("s1", "2.5000"), Session("s2", "9") } } })).GetProperty("ingestSessions");
        Assert.Equal((0, 1), (again.GetProperty("accepted").GetInt32(), again.GetProperty("duplicates").GetInt32()));
        var conflict = Assert.Single(again.GetProperty("rejected").EnumerateArray());
        Assert.Equal((1, SessionRules.ConflictingResend), (conflict.GetProperty("index").GetInt32(), conflict.GetProperty("code").GetString()));
        Assert.Contains("s2", conflict.GetProperty("message").GetString());

        var s2 = (await org.DataAsync("""{ session(id: "s2") { costUsd } }""")).GetProperty("session");
        Assert.Equal("1", s2.GetProperty("costUsd").GetString());
        Assert.Equal(3.5m, (await org.Period("2026-11").GetSummaryAsync()).Observed);
        Assert.Equal(1L, await cluster.Database.ScalarAsync<long>("select count(*) from ingest_log where org = $1 and session_id = 's2'", org.Id));
    }

    [Fact]
    public async Task IngestSessions_Durable_AnswersOnceLogged_AndTheFoldMakesThemVisible()
    {
        var org = await TestOrg.CreateAsync(cluster);
        var sessions = Enumerable.Range(0, 50).Select(i => Session($"d{i}", "0.10", i % 2 == 0 ? "alice" : "bob")).ToArray();
        var answer = (await org.DataAsync(Ingest, new { i = new { sessions, waitFor = "DURABLE" } })).GetProperty("ingestSessions");
        Assert.Equal(50, answer.GetProperty("accepted").GetInt32());
        Assert.Equal(50L, await cluster.Database.ScalarAsync<long>("select count(*) from ingest_log where org = $1", org.Id));   // durable at the answer

        await cluster.FoldedAsync();
        Assert.Equal(50L, await cluster.Database.ScalarAsync<long>("select count(*) from sessions where org = $1", org.Id));
        Assert.Equal(5m, (await org.Period("2026-11").GetSummaryAsync()).Observed);
        var resent = (await org.DataAsync(Ingest, new { i = new { sessions, waitFor = "DURABLE" } })).GetProperty("ingestSessions");
        Assert.Equal((0, 50), (resent.GetProperty("accepted").GetInt32(), resent.GetProperty("duplicates").GetInt32()));
    }

    [Fact]
    public async Task TelemetryStatus_ARejectedOnlyBatch_IsAFailedRun_AndLeavesTheLastReceived()
    {
        var org = await TestOrg.CreateAsync(cluster);
        await org.DataAsync(Ingest, new { i = new { sessions = new[] { Session("ok", "1") } } });
        var before = Claude(await org.DataAsync(Status));
        Assert.Equal(("SUCCEEDED", 1), (before.GetProperty("lastRun").GetProperty("status").GetString(), before.GetProperty("lastRun").GetProperty("accepted").GetInt32()));
        var received = before.GetProperty("lastReceived").GetProperty("at").GetString();

        var bad = new { id = "bad", subject = "alice", providerId = "claude", model = "sonnet", startedAt = "2026-11-03T09:00:00Z", inputTokens = -5, outputTokens = 1 };
        var refused = (await org.DataAsync(Ingest, new { i = new { sessions = new[] { bad } } })).GetProperty("ingestSessions");
        Assert.Equal(0, refused.GetProperty("accepted").GetInt32());

        var after = Claude(await org.DataAsync(Status));
        var run = after.GetProperty("lastRun");
        Assert.Equal(("FAILED", 0, 1), (run.GetProperty("status").GetString(), run.GetProperty("accepted").GetInt32(), run.GetProperty("rejected").GetInt32()));
        Assert.Contains("INVALID_INPUT", run.GetProperty("errors")[0].GetString());
        Assert.Equal((received, 1), (after.GetProperty("lastReceived").GetProperty("at").GetString(), after.GetProperty("lastReceived").GetProperty("accepted").GetInt32()));
        Assert.Equal((0, 0d), (after.GetProperty("unfoldedItems").GetInt32(), after.GetProperty("foldLagSeconds").GetDouble()));
    }

    private static JsonElement Claude(JsonElement data) =>
        data.GetProperty("providers").EnumerateArray().Single(p => p.GetProperty("id").GetString() == "claude").GetProperty("telemetryStatus");
}
