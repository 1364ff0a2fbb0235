using Flowstate.Attribution;
using Flowstate.Reconciliation;
using Flowstate.Storage;
using Flowstate.Tests.Infrastructure;
using Flowstate.Workforce;
using Npgsql;

namespace Flowstate.Tests.Integration;

/// <summary>
/// Every grain command with a failing state write or a failing push (fault injection in the test
/// cluster's storage and grain calls): the retry stores the item, counts stay right (DESIGN
/// invariants 1–4), and nothing is acknowledged that was not stored.
/// </summary>
[Collection(DurabilityCollection.Name)]
public sealed class FaultInjectionTests(FlowstateCluster cluster)
{
    private static readonly RowCommand WriteOff = new(RowAction.WriteOff, "orphan", null, "fin");
    private Faults Faults => cluster.Faults;

    [Fact]
    public async Task IngestRow_WhenTheWriteFails_TheRetryCreatesTheRow()
    {
        var org = await TestOrg.CreateAsync(cluster);
        using (Faults.FailWrites("billing-row", org.Id))
            await Assert.ThrowsAsync<StorageUnavailableException>(() => org.BillAsync(TestOrg.BillRow("r", "alice", "2026-11-03", 7m)));
        Assert.Equal(0, (await org.Period("2026-11").GetSummaryAsync()).RowCount);

        var retry = await org.BillAsync(TestOrg.BillRow("r", "alice", "2026-11-03", 7m));
        Assert.Equal((1, 0), (retry.Accepted, retry.Duplicates));   // not "duplicate": the first attempt stored nothing
        await AssertPeriodAsync(org, billed: 7m, rows: 1);
        await cluster.RestartAsync();
        Assert.NotNull(await org.Row("r").GetAsync());
    }

    [Fact]
    public async Task IngestRow_WhenTheWriteIsStoredButReportedFailed_TheRetryIsADuplicateAndThePeriodCatchesUp()
    {
        var org = await TestOrg.CreateAsync(cluster);
        using (Faults.FailWrites("billing-row", org.Id, when: Faults.When.After))
            await Assert.ThrowsAsync<StorageUnavailableException>(() => org.BillAsync(TestOrg.BillRow("r", "alice", "2026-11-03", 7m)));

        var retry = await org.BillAsync(TestOrg.BillRow("r", "alice", "2026-11-03", 7m));
        Assert.Equal((0, 1), (retry.Accepted, retry.Duplicates));   // honest: it was stored
        await AssertJournalEmptiesAsync(org);   // the stored row's push was acknowledged: it is in its period
        await AssertPeriodAsync(org, billed: 7m, rows: 1);
    }

    [Fact]
    public async Task Action_WhenTheWriteFails_ChangesNothing_AndTheRetryAppliesItOnce()
    {
        var org = await TestOrg.CreateAsync(cluster);
        await org.BillAsync(TestOrg.BillRow("r", "bob", "2026-11-05", 5m));
        var version = (await org.GetRowAsync("r")).Version;
        var command = WriteOff with { ExpectedVersion = version };

        using (Faults.FailWrites("billing-row", org.Id))
            await Assert.ThrowsAsync<StorageUnavailableException>(() => org.Row("r").ApplyActionAsync(command));
        var row = await org.GetRowAsync("r");
        Assert.Equal((RowStatus.Unreconciled, version), (row.Status, row.Version));
        await AssertPeriodAsync(org, billed: 5m, rows: 1, writtenOff: 0m);

        var result = await org.Row("r").ApplyActionAsync(command);
        Assert.Equal(RowStatus.WrittenOff, result.Row.Status);
        Assert.Equal(5m, result.Summary.WrittenOff);
        Assert.Equal(1L, await EventsAsync(org, RowStatus.WrittenOff));
    }

    [Fact]
    public async Task Action_WhenThePushFails_IsStored_AndTheRowDeliversItWithoutACaller()
    {
        var org = await TestOrg.CreateAsync(cluster);
        await org.BillAsync(TestOrg.BillRow("r", "bob", "2026-11-05", 5m));

        using (Faults.FailPushes("billing-row", "ApplyRowAsync", org.Id))
            await Assert.ThrowsAsync<StorageUnavailableException>(() => org.Row("r").ApplyActionAsync(WriteOff));
        Assert.Equal(RowStatus.WrittenOff, (await org.GetRowAsync("r")).Status);   // stored: a retry would be told so

        await AssertJournalEmptiesAsync(org);   // the row's own retry delivered, with no caller
        await AssertPeriodAsync(org, billed: 5m, rows: 1, writtenOff: 5m);
        Assert.Equal(1L, await EventsAsync(org, RowStatus.WrittenOff));
    }

    [Fact]
    public async Task Action_WhenThePeriodAppliedItButTheReplyWasLost_IsLoggedOnce()
    {
        var org = await TestOrg.CreateAsync(cluster);
        await org.BillAsync(TestOrg.BillRow("r", "bob", "2026-11-05", 5m));

        using (Faults.FailPushes("billing-row", "ApplyRowAsync", org.Id, when: Faults.When.After))
            await Assert.ThrowsAsync<StorageUnavailableException>(() => org.Row("r").ApplyActionAsync(WriteOff));

        await AssertJournalEmptiesAsync(org);
        await AssertPeriodAsync(org, billed: 5m, rows: 1, writtenOff: 5m);
        Assert.Equal(1L, await EventsAsync(org, RowStatus.WrittenOff));
    }

    [Fact]
    public async Task IngestSessions_WhenThePartitionWriteFails_TheFoldRetries_AndCountsThemOnce()
    {
        var org = await TestOrg.CreateAsync(cluster);
        var sessions = new[] { TestOrg.Session("s1", "alice", "2026-11-03T09:00:00Z", 2m), TestOrg.Session("s2", "alice", "2026-11-04T09:00:00Z", 3m) };
        using (var fault = Faults.FailWrites("usage-partition", org.Id))
        {
            // Acknowledged once durable in the ingest log: the partition's failure is the fold's, which retries the window.
            var first = await org.ObserveAsync(sessions);
            Assert.Equal((2, 0, true), (first.Accepted, first.Duplicates, first.Visible));
            Assert.Equal(1, fault.Failed);
        }
        Assert.Equal(5m, (await org.Period("2026-11").GetSummaryAsync()).Observed);
        Assert.Equal(5m, await OrgTotalAsync(org));
        var again = await org.ObserveAsync(sessions);
        Assert.Equal((0, 2), (again.Accepted, again.Duplicates));
        Assert.Equal(5m, await OrgTotalAsync(org));
    }

    [Theory]
    [InlineData("ApplyUsageAsync")]
    [InlineData("ApplyObservedAsync")]
    public async Task IngestSessions_WhenAPartitionPushFails_EverythingConverges(string method)
    {
        var org = await TestOrg.CreateAsync(cluster);
        using (var fault = Faults.FailPushes("usage-partition", method, org.Id))
        {
            Assert.Equal(1, (await org.ObserveAsync(TestOrg.Session("s1", "alice", "2026-11-03T09:00:00Z", 2m))).Accepted);
            await FlowstateCluster.EventuallyAsync(() => Task.FromResult(fault.Failed == 1), "the fold's partition push failed once");
        }

        await FlowstateCluster.EventuallyAsync(async () => (await org.Period("2026-11").GetSummaryAsync()).Observed == 2m && await OrgTotalAsync(org) == 2m,
            "observed cost and rollups converge");
        var retry = await org.ObserveAsync(TestOrg.Session("s1", "alice", "2026-11-03T09:00:00Z", 2m));
        Assert.Equal((0, 1), (retry.Accepted, retry.Duplicates));
        await AssertJournalEmptiesAsync(org);
    }

    [Fact]
    public async Task SubjectMonth_WhenARollupPushFails_AcknowledgesItsInput_AndDeliversLater()
    {
        var org = await TestOrg.CreateAsync(cluster);
        using (Faults.FailPushes("subject-month", "ApplyAsync", org.Id, times: 2))
            Assert.Equal(1, (await org.ObserveAsync(TestOrg.Session("s1", "alice", "2026-11-03T09:00:00Z", 4m))).Accepted);

        await FlowstateCluster.EventuallyAsync(async () => await OrgTotalAsync(org) == 4m, "the subject-month's retries reach the rollup");
        await AssertJournalEmptiesAsync(org);
    }

    [Fact]
    public async Task SubjectMonth_WhenItsWriteFails_ThePartitionRetriesAndTheRollupsCountOnce()
    {
        var org = await TestOrg.CreateAsync(cluster);
        using (var fault = Faults.FailWrites("subject-month", org.Id))
        {
            Assert.Equal(1, (await org.ObserveAsync(TestOrg.Session("s1", "alice", "2026-11-03T09:00:00Z", 4m))).Accepted);
            await FlowstateCluster.EventuallyAsync(() => Task.FromResult(fault.Failed == 1), "the subject-month's write failed once");
        }

        await FlowstateCluster.EventuallyAsync(async () => await OrgTotalAsync(org) == 4m, "the partition's retry reaches the subject-month");
        Assert.Equal(4m, (await org.Period("2026-11").GetSummaryAsync()).Observed);
        await AssertJournalEmptiesAsync(org);
    }

    [Fact]
    public async Task RegisteringARow_DoesNotPushUnchangedUsage()
    {
        var org = await TestOrg.CreateAsync(cluster);
        await org.ObserveAsync(TestOrg.Session("s1", "alice", "2026-11-03T09:00:00Z", 4m));
        using var usage = Faults.CountPushes("usage-partition", "ApplyUsageAsync", org.Id);
        using var observed = Faults.CountPushes("usage-partition", "ApplyObservedAsync", org.Id);

        await org.BillAsync(TestOrg.BillRow("r1", "alice", "2026-11-03", 4m), TestOrg.BillRow("r2", "alice", "2026-11-04", 1m));
        Assert.Equal(RowStatus.AutoMatched, (await org.GetRowAsync("r1")).Status);
        Assert.Equal((0, 0), (usage.Seen, observed.Seen));

        await org.ObserveAsync(TestOrg.Session("s2", "alice", "2026-11-04T09:00:00Z", 1m));
        Assert.Equal((1, 1), (usage.Seen, observed.Seen));   // new usage is pushed, once to each
    }

    [Fact]
    public async Task RollupWrites_OfManyRollupsGoOutTogether_AndEachKeepsItsNewestVersion()
    {
        // The silo writes every rollup's contributions in shared statements: one statement may carry the same rollup
        // and subject at several versions (older after newer, as replays and reorders arrive) and other rollups' rows.
        var org = await TestOrg.CreateAsync(cluster);
        await using var db = NpgsqlDataSource.Create(cluster.Database.ConnectionString);
        var store = new RollupStore(db);
        var month = Period.Parse("2026-11");
        Contribution Of(string subject, long version) => new(subject, version, []);
        // The first write goes out alone; the rest queue behind it and go out in one statement.
        await Task.WhenAll(
            store.WriteAsync(org.Id, "org", month, Of("p:a", 3)),
            store.WriteAsync(org.Id, "org", month, Of("p:a", 5)),
            store.WriteAsync(org.Id, "org", month, Of("p:a", 4)),
            store.WriteAsync(org.Id, "team:x", month, Of("p:a", 2)),
            store.WriteAsync(org.Id, "team:x", month, Of("p:b", 1)));
        await store.WriteAsync(org.Id, "org", month, Of("p:a", 4));   // a replayed older push, alone

        Assert.Equal([("p:a", 5L)], (await store.LoadAsync(org.Id, "org", month)).Select(c => (c.Subject, c.Version)));
        Assert.Equal([("p:a", 2L), ("p:b", 1L)], (await store.LoadAsync(org.Id, "team:x", month)).OrderBy(c => c.Subject, StringComparer.Ordinal).Select(c => (c.Subject, c.Version)));
    }

    [Fact]
    public async Task Provider_ReadDuringItsWrite_AnswersAtOnce_WithWhatIsStored()
    {
        // The ingest path and the fold read the provider for every batch and window while batches record their runs
        // in it: a read must neither queue behind a write in flight nor see a change before it is stored.
        var org = await TestOrg.CreateAsync(cluster);
        var provider = org.Provider("claude");
        var before = (await provider.GetAsync())!.Config;
        Task configuring;
        using (var hold = Faults.HoldWrites("provider", org.Id))
        {
            configuring = provider.ConfigureAsync(before with { Name = "Renamed" });
            await hold.Reached;                                   // the command changed the state and waits on its write
            var read = provider.GetAsync();
            // A hang guard, not a timing: a read queued behind the held write would never finish while the gate is shut.
            Assert.Same(read, await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(30))));
            Assert.Equal(before.Name, (await read)!.Config.Name);   // not the change still being written
        }
        await configuring;
        Assert.Equal("Renamed", (await provider.GetAsync())!.Config.Name);
    }

    [Fact]
    public async Task ConfigureProvider_WhenThePushToTheOrgFails_TheOrgStillLearnsTheProvider()
    {
        var org = await TestOrg.CreateAsync(cluster);
        var config = (await org.Provider("claude").GetAsync())!.Config with { Id = "openai", Name = "OpenAI" };
        using (Faults.FailPushes("provider", "AddProviderAsync", org.Id))
            await Assert.ThrowsAsync<StorageUnavailableException>(() => org.Provider("openai").ConfigureAsync(config));

        await FlowstateCluster.EventuallyAsync(async () => (await org.Grains.GetGrain<IOrgGrain>(org.Id).GetProviderIdsAsync()).Contains("openai"),
            "the provider's retry reaches the org");
        await AssertJournalEmptiesAsync(org);
    }

    [Fact]
    public async Task WorkforceChange_WhenAReSplitFails_TheUpsertSucceeds_AndTheOrgReSplitsLater()
    {
        var org = await TestOrg.CreateAsync(cluster);
        await org.UseSmallWorkforceAsync();
        await org.ObserveAsync(TestOrg.Session("s1", "bob", "2026-11-03T09:00:00Z", 4m));
        var moved = new Person("bob", "bob@acme.example", "Bob", PersonKind.Employee, [new Allocation("support", 1m, new DateOnly(2026, 1, 1))]);

        using (Faults.FailPushes("org", "RetargetAsync", org.Id))
            await org.Grains.GetGrain<IOrgGrain>(org.Id).UpsertWorkforceAsync(new([], [], [moved], [], []));

        await FlowstateCluster.EventuallyAsync(async () => await CostCentreTotalAsync(org, "ops") == 4m, "the org's retry re-splits bob's month");
        Assert.Equal(0m, await CostCentreTotalAsync(org, "eng"));
        await AssertJournalEmptiesAsync(org);
    }

    /// <summary>
    /// The replay goes past a grain whose push keeps failing: the others are delivered, and the
    /// failing one stays in the journal with its error and attempt count (and a warning in the log).
    /// </summary>
    [Fact]
    public async Task Replay_GoesOnPastAFailingGrain_AndReportsIt()
    {
        var org = await TestOrg.CreateAsync(cluster);
        await org.BillAsync(TestOrg.BillRow("bad", "bob", "2026-11-05", 5m), TestOrg.BillRow("good", "bob", "2026-11-06", 3m));
        var fault = Faults.FailPushes("billing-row", "ApplyRowAsync", "claude/bad", times: int.MaxValue);
        var other = Faults.FailPushes("billing-row", "ApplyRowAsync", "claude/good", times: int.MaxValue);
        try
        {
            await Assert.ThrowsAsync<StorageUnavailableException>(() => org.Row("bad").ApplyActionAsync(WriteOff));
            await Assert.ThrowsAsync<StorageUnavailableException>(() => org.Row("good").ApplyActionAsync(WriteOff));
            await cluster.RestartAsync(whileDown: other.Dispose);

            await FlowstateCluster.EventuallyAsync(async () => (await org.Period("2026-11").GetSummaryAsync()).WrittenOff == 3m, "the good row is replayed");
            await FlowstateCluster.EventuallyAsync(async () => await cluster.Database.ScalarAsync<int>(
                "select attempts from durable_intents where org = $1 and grain_key like '%/bad'", org.Id) >= 1, "the bad row's failure is recorded");
            Assert.Contains("injected fault", await cluster.Database.ScalarAsync<string>(
                "select last_error from durable_intents where org = $1 and grain_key like '%/bad'", org.Id));
            // The good row's intent is forgotten once its push is acknowledged, which may trail the summary a little.
            await FlowstateCluster.EventuallyAsync(async () => await cluster.JournalBacklogAsync(org.Id) == 1,
                "only the bad row's intent is left in the journal");
        }
        finally { fault.Dispose(); }
        await AssertJournalEmptiesAsync(org, TimeSpan.FromSeconds(30));
        await AssertPeriodAsync(org, billed: 8m, rows: 2, writtenOff: 8m);
    }

    private async Task AssertPeriodAsync(TestOrg org, decimal billed, int rows, decimal? writtenOff = null)
    {
        var summary = await org.Period("2026-11").GetSummaryAsync();
        Assert.Equal((billed, rows), (summary.Billed, summary.RowCount));
        if (writtenOff is { } w) Assert.Equal(w, summary.WrittenOff);
        // Invariant 1 against what PostgreSQL holds (what a restarted period rebuilds from).
        var ledger = await cluster.Database.ScalarAsync<decimal>(
            "select coalesce(sum(amount), 0) from recon_ledger where org = $1 and period = '2026-11' and moved_out_to is null", org.Id);
        Assert.Equal(billed, ledger);
    }

    private Task AssertJournalEmptiesAsync(TestOrg org, TimeSpan? timeout = null) =>
        FlowstateCluster.EventuallyAsync(async () => await cluster.JournalBacklogAsync(org.Id) == 0, "the journal empties", timeout);

    private Task<long> EventsAsync(TestOrg org, RowStatus to) =>
        cluster.Database.ScalarAsync<long>("select count(*) from row_events where org = $1 and to_status = $2", org.Id, (short)to);

    private async Task<decimal> OrgTotalAsync(TestOrg org) =>
        (await cluster.Grains.GetGrain<IAttributionGrain>(org.Id).GetViewAsync(
            new AttributionRequest(Scope.Org, DateRange.Last30Days, CostMode.Market, null))).Total;

    private async Task<decimal> CostCentreTotalAsync(TestOrg org, string costCentre) =>
        (await cluster.Grains.GetGrain<IAttributionGrain>(org.Id).GetViewAsync(
            new AttributionRequest(Scope.Org with { CostCentreId = costCentre }, DateRange.Last30Days, CostMode.Market, null))).Total;
}
