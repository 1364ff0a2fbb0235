using System.Text.Json;
using Flowstate.GraphQL.Subscriptions;
using Flowstate.Reconciliation;
using Flowstate.Storage;
using Flowstate.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Flowstate.Tests.Cluster;

/// <summary>Two silos, so period grains (the publishers) land on either while one client hub listens.</summary>
public sealed class TwoSiloCluster : IAsyncLifetime
{
    public FlowstateCluster Cluster { get; } = new() { Silos = 2 };
    public Task InitializeAsync() => Cluster.InitializeAsync();
    public Task DisposeAsync() => Cluster.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class EventsCollection : ICollectionFixture<TwoSiloCluster> { public const string Name = "events"; }

/// <summary>The row event log (row_events), its streams and the two subscriptions built on them.</summary>
[Collection(EventsCollection.Name)]
public sealed class RowEventTests(TwoSiloCluster fixture)
{
    private readonly FlowstateCluster _cluster = fixture.Cluster;

    private const string RowFeed = """
        subscription($period: String, $provider: ID, $after: String) {
          rowStatusChanged(period: $period, provider: $provider, after: $after) {
            cursor fromStatus toStatus action actor at period version row { id status version } } }
        """;

    private EventHub Hub => _cluster.GraphQLServices.GetRequiredService<EventHub>();
    private FlowstateMetrics Metrics => _cluster.GraphQLServices.GetRequiredService<FlowstateMetrics>();

    private async Task<List<(long Seq, string RowId, int Version, int? From, int To, int? Action, string Period)>> LogAsync(string org)
    {
        await using var conn = new NpgsqlConnection(_cluster.Database.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            "select seq, row_id, version, from_status, to_status, action, period from row_events where org = $1 order by seq", conn);
        cmd.Parameters.AddWithValue(org);
        var log = new List<(long, string, int, int?, int, int?, string)>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync())
            log.Add((r.GetInt64(0), r.GetString(1), r.GetInt32(2), r.IsDBNull(3) ? null : r.GetInt16(3), r.GetInt16(4),
                     r.IsDBNull(5) ? null : r.GetInt16(5), r.GetString(6)));
        return log;
    }

    /// <summary>Subscribes and waits until the feed is past its replay (live), so later changes cannot slip by.</summary>
    private async Task<FlowstateCluster.Subscriber> SubscribeLiveAsync(TestOrg org, object? variables = null)
    {
        var before = Metrics.LiveRowFeeds;
        var subscriber = await _cluster.SubscribeAsync(org.Id, RowFeed, variables);
        await Eventually(() => Metrics.LiveRowFeeds > before, "the feed to go live");
        return subscriber;
    }

    private static async Task Eventually(Func<bool> condition, string what, int seconds = 10)
    {
        for (var deadline = DateTime.UtcNow.AddSeconds(seconds); !condition(); await Task.Delay(20))
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
    }

    private static long Seq(JsonElement e) => RowCursor.Decode(Change(e).GetProperty("cursor").GetString()!);

    private static JsonElement Change(JsonElement e)
    {
        Assert.False(e.TryGetProperty("errors", out var errors), errors.ToString());
        return e.GetProperty("data").GetProperty("rowStatusChanged");
    }

    private static string Rid(string ext) => GrainKeys.RowId("claude", ext);

    [Fact]
    public async Task EventLog_HoldsEveryStatusChange_Dense_AndInEachRowsVersionOrder()
    {
        var org = await TestOrg.CreateAsync(_cluster);
        await org.ObserveAsync(TestOrg.Session("s1", "alice", "2026-11-03T10:00:00Z", 10m), TestOrg.Session("s0", "alice", "2026-10-30T10:00:00Z", 12m));
        await org.BillAsync(TestOrg.BillRow("a", "alice", "2026-11-03", 10m), TestOrg.BillRow("b", "bob", "2026-11-04", 7m),
                            TestOrg.BillRow("old", "alice", "2026-10-30", 12m));
        await org.Row("a").ApplyActionAsync(new RowCommand(RowAction.Confirm, null, null, "fin"));
        await org.Row("b").ApplyActionAsync(new RowCommand(RowAction.WriteOff, "no usage", null, "fin"));
        await org.Row("b").ApplyActionAsync(new RowCommand(RowAction.Reopen, "disputed", null, "fin"));
        // October has ended (the clock says 2026-11-20): the row goes DEFERRED in October, then UNRECONCILED in November, in one write.
        await org.Row("old").ApplyActionAsync(new RowCommand(RowAction.Defer, null, null, "fin"));
        await org.ObserveAsync(TestOrg.Session("s2", "bob", "2026-11-04T09:00:00Z", 7m)); // late evidence re-matches b

        var log = await LogAsync(org.Id);
        Assert.Equal(Enumerable.Range(1, log.Count).Select(i => (long)i), log.Select(e => e.Seq));
        var trails = new Dictionary<string, IReadOnlyList<AuditEntry>>();
        foreach (var ext in new[] { "a", "b", "old" }) trails[Rid(ext)] = (await org.GetRowAsync(ext)).AuditTrail;
        Assert.Equal(trails.Values.Sum(t => t.Count), log.Count);
        foreach (var (rowId, trail) in trails)
        {
            var logged = log.Where(e => e.RowId == rowId).ToList();
            Assert.Equal(trail.Select(t => (t.Version, (int?)t.From, (int)t.To, (int?)t.Action)), logged.Select(e => (e.Version, e.From, e.To, e.Action)));
            Assert.Null(logged[0].From);
        }
        var old = log.Where(e => e.RowId == Rid("old")).ToList();
        Assert.Equal([("2026-10", (int)RowStatus.AutoMatched), ("2026-10", (int)RowStatus.Deferred), ("2026-11", (int)RowStatus.Unreconciled)],
                     old.Select(e => (e.Period, e.To)));
        Assert.Equal((int)RowStatus.AutoMatched, log.Last(e => e.RowId == Rid("b")).To);
    }

    [Fact]
    public async Task ReplayedPushes_LogNothingTwice_AndKeepTheLogDense()
    {
        var org = await TestOrg.CreateAsync(_cluster);
        await org.BillAsync(TestOrg.BillRow("r", "bob", "2026-11-05", 5m));
        await org.Row("r").ApplyActionAsync(new RowCommand(RowAction.WriteOff, "gone", null, "fin"));
        var row = await org.GetRowAsync("r");
        var before = await LogAsync(org.Id);
        Assert.Equal(2, before.Count);

        // The same entry again (what crash repair or a lost reply re-sends): the period skips it.
        var entry = new LedgerEntry(row.Id, row.Period, row.Version, "claude", row.Line.UsageDate, 5m, row.Status, null, row.AuditTrail);
        await org.Period("2026-11").ApplyRowAsync(entry);
        Assert.Equal(before, await LogAsync(org.Id));

        // A newer write that still carries changes already logged (its earlier push was applied but
        // the reply lost): only the change not yet logged gets the next seq.
        await using var db = NpgsqlDataSource.Create(_cluster.Database.ConnectionString);
        var store = new ReconLedgerStore(db);
        var extra = new AuditEntry(DateTimeOffset.UtcNow, "fin", RowStatus.WrittenOff, RowStatus.Unreconciled, RowAction.Reopen, "again", row.Version + 1, row.Period);
        var logged = await store.UpsertRowsAsync(org.Id, [entry with { Version = row.Version + 1, Status = RowStatus.Unreconciled, Changes = [.. row.AuditTrail, extra] }]);
        Assert.Equal([(3L, row.Version + 1)], logged.Select(l => (l.Seq, l.Version)));
        Assert.Equal(before.Count + 1, (await LogAsync(org.Id)).Count);

        // Restart and force the repair path: nothing is logged again.
        await _cluster.RestartAsync();
        await org.Row("r").ResendAsync();
        Assert.Equal(3, (await LogAsync(org.Id)).Count);
    }

    [Fact]
    public async Task ConcurrentActions_AcrossPeriods_LogDenseSeqs()
    {
        var org = await TestOrg.CreateAsync(_cluster);
        var rows = Enumerable.Range(0, 60).Select(i => TestOrg.BillRow($"c{i}", "bob", $"2026-{9 + i % 3:D2}-1{i % 9}", 1m + i)).ToArray();
        await org.BillAsync(rows);
        await Task.WhenAll(rows.Select(r => org.Row(r.ExternalId!).ApplyActionAsync(new RowCommand(RowAction.WriteOff, "bulk", null, "fin"))));
        await Task.WhenAll(rows.Where((_, i) => i % 2 == 0).Select(r => org.Row(r.ExternalId!).ApplyActionAsync(new RowCommand(RowAction.Reopen, "back", null, "fin"))));

        var log = await LogAsync(org.Id);
        Assert.Equal(60 + 60 + 30, log.Count);
        Assert.Equal(Enumerable.Range(1, log.Count).Select(i => (long)i), log.Select(e => e.Seq));
    }

    [Fact]
    public async Task RowStatusChanged_DeliversLiveChanges_WithCursorRowAndAction()
    {
        var org = await TestOrg.CreateAsync(_cluster);
        await org.BillAsync(TestOrg.BillRow("x", "bob", "2026-11-06", 4m));
        using var sub = await SubscribeLiveAsync(org, new { period = "2026-11" });

        await org.Row("x").ApplyActionAsync(new RowCommand(RowAction.WriteOff, "orphan", null, "fin@acme"));
        var e = Change(await sub.NextAsync());
        Assert.Equal(("UNRECONCILED", "WRITTEN_OFF", "WRITE_OFF", "fin@acme", "2026-11", 2),
            (e.GetProperty("fromStatus").GetString(), e.GetProperty("toStatus").GetString(), e.GetProperty("action").GetString(),
             e.GetProperty("actor").GetString(), e.GetProperty("period").GetString(), e.GetProperty("version").GetInt32()));
        Assert.Equal((Rid("x"), "WRITTEN_OFF"), (e.GetProperty("row").GetProperty("id").GetString(), e.GetProperty("row").GetProperty("status").GetString()));
        Assert.Equal(2, RowCursor.Decode(e.GetProperty("cursor").GetString()!));

        // A new row is a change from no status.
        await org.BillAsync(TestOrg.BillRow("y", "bob", "2026-11-07", 3m));
        var created = Change(await sub.NextAsync());
        Assert.Equal((JsonValueKind.Null, "UNRECONCILED", JsonValueKind.Null),
            (created.GetProperty("fromStatus").ValueKind, created.GetProperty("toStatus").GetString(), created.GetProperty("action").ValueKind));
        Assert.True(await sub.QuietForAsync(TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    public async Task RowStatusChanged_FiltersByPeriodAndProvider_ServerSide()
    {
        var org = await TestOrg.CreateAsync(_cluster);
        await org.BillAsync(TestOrg.BillRow("nov", "bob", "2026-11-06", 4m), TestOrg.BillRow("oct", "bob", "2026-10-06", 4m));
        using var october = await SubscribeLiveAsync(org, new { period = "2026-10" });
        using var otherProvider = await SubscribeLiveAsync(org, new { provider = "openai" });

        await org.Row("nov").ApplyActionAsync(new RowCommand(RowAction.WriteOff, "n", null, "fin"));
        await org.Row("oct").ApplyActionAsync(new RowCommand(RowAction.WriteOff, "o", null, "fin"));

        var e = Change(await october.NextAsync());
        Assert.Equal(Rid("oct"), e.GetProperty("row").GetProperty("id").GetString());
        Assert.True(await october.QuietForAsync(TimeSpan.FromMilliseconds(300)));
        Assert.True(await otherProvider.QuietForAsync(TimeSpan.FromMilliseconds(100)));
    }

    /// <summary>
    /// Resume after a cursor while changes keep coming: the subscriber gets exactly the seqs after
    /// the cursor, each once and in order, across the hand-over from replay to live.
    /// </summary>
    [Fact]
    public async Task RowStatusChanged_After_ReplaysExactlyWhatFollowed_ThenGoesLive_WithoutGapOrDuplicate()
    {
        var org = await TestOrg.CreateAsync(_cluster);
        var rows = Enumerable.Range(0, 40).Select(i => TestOrg.BillRow($"h{i}", "bob", $"2026-{10 + i % 2:D2}-0{1 + i % 9}", 2m)).ToArray();
        await org.BillAsync(rows);                        // seqs 1..40
        var cursor = RowCursor.Encode(15);

        var burst = Task.Run(async () =>                  // seqs 41..80 land while the subscription replays and goes live
        {
            foreach (var chunk in rows.Chunk(8))
                await Task.WhenAll(chunk.Select(r => org.Row(r.ExternalId!).ApplyActionAsync(new RowCommand(RowAction.WriteOff, "w", null, "fin"))));
        });
        using var sub = await _cluster.SubscribeAsync(org.Id, RowFeed, new { after = cursor });
        await burst;

        var seqs = new List<long>();
        while (seqs.Count < 65) seqs.Add(Seq(await sub.NextAsync()));
        Assert.Equal(Enumerable.Range(16, 65).Select(i => (long)i), seqs);
        Assert.True(await sub.QuietForAsync(TimeSpan.FromMilliseconds(400)));

        await org.Row("h0").ApplyActionAsync(new RowCommand(RowAction.Reopen, "r", null, "fin"));
        Assert.Equal(81, Seq(await sub.NextAsync()));
    }

    [Fact]
    public async Task RowStatusChanged_FillsAGapInTheLiveStream_FromTheLog()
    {
        var org = await TestOrg.CreateAsync(_cluster);
        await org.BillAsync(TestOrg.BillRow("g", "bob", "2026-11-08", 6m), TestOrg.BillRow("k", "bob", "2026-11-08", 6m));
        var g = await org.GetRowAsync("g");
        using var sub = await SubscribeLiveAsync(org);

        // A change logged but never published (a stream message lost between silos): seq 3.
        await using var db = NpgsqlDataSource.Create(_cluster.Database.ConnectionString);
        var lost = new AuditEntry(DateTimeOffset.UtcNow, "fin", RowStatus.Unreconciled, RowStatus.WrittenOff, RowAction.WriteOff, "lost", g.Version + 1, g.Period);
        await new ReconLedgerStore(db).UpsertRowsAsync(org.Id,
            [new LedgerEntry(g.Id, g.Period, g.Version + 1, "claude", g.Line.UsageDate, 6m, RowStatus.WrittenOff, null, [lost])]);
        // Then a real change, published as seq 4: the feed holds it until the log fills seq 3.
        await org.Row("k").ApplyActionAsync(new RowCommand(RowAction.WriteOff, "real", null, "fin"));

        var first = Change(await sub.NextAsync());
        var second = Change(await sub.NextAsync());
        Assert.Equal((3L, 4L), (RowCursor.Decode(first.GetProperty("cursor").GetString()!), RowCursor.Decode(second.GetProperty("cursor").GetString()!)));
        Assert.Equal(Rid("k"), second.GetProperty("row").GetProperty("id").GetString());
    }

    [Fact]
    public async Task RowStatusChanged_WhenTooMuchPilesUpBehindAHole_DropsItAndReadsTheLog()
    {
        var options = _cluster.GraphQLServices.GetRequiredService<SubscriptionOptions>();
        var org = await TestOrg.CreateAsync(_cluster);
        var rows = Enumerable.Range(0, 12).Select(i => TestOrg.BillRow($"o{i}", "bob", "2026-11-11", 1m)).ToArray();
        await org.BillAsync(rows);                                           // seqs 1..12
        var o0 = await org.GetRowAsync("o0");
        var held = options.MaxHeld;
        options.MaxHeld = 4;
        try
        {
            using var sub = await SubscribeLiveAsync(org);
            await using var db = NpgsqlDataSource.Create(_cluster.Database.ConnectionString);
            var lost = new AuditEntry(DateTimeOffset.UtcNow, "fin", RowStatus.Unreconciled, RowStatus.WrittenOff, RowAction.WriteOff, "lost", o0.Version + 1, o0.Period);
            await new ReconLedgerStore(db).UpsertRowsAsync(org.Id,                   // seq 13, never published
                [new LedgerEntry(o0.Id, o0.Period, o0.Version + 1, "claude", o0.Line.UsageDate, 1m, RowStatus.WrittenOff, null, [lost])]);
            foreach (var r in rows.Skip(1))                                     // seqs 14..24 pile up behind the hole
                await org.Row(r.ExternalId!).ApplyActionAsync(new RowCommand(RowAction.WriteOff, "w", null, "fin"));

            var seqs = new List<long>();
            while (seqs.Count < 12) seqs.Add(Seq(await sub.NextAsync()));
            Assert.Equal(Enumerable.Range(13, 12).Select(i => (long)i), seqs);
            Assert.True(await sub.QuietForAsync(TimeSpan.FromMilliseconds(400)));
        }
        finally { options.MaxHeld = held; }
    }

    [Fact]
    public async Task RowStatusChanged_WithABadCursor_IsInvalidInput()
    {
        var org = await TestOrg.CreateAsync(_cluster);
        foreach (var bad in new[] { "nope", RowCursor.Encode(1)[..^2], Convert.ToBase64String("row-event:-4"u8.ToArray()) })
        {
            using var sub = await _cluster.SubscribeAsync(org.Id, RowFeed, new { after = bad });
            var result = await sub.NextAsync();
            Assert.Equal("INVALID_INPUT", result.GetProperty("errors")[0].GetProperty("extensions").GetProperty("code").GetString());
        }
        using var badPeriod = await _cluster.SubscribeAsync(org.Id, RowFeed, new { period = "2026-13" });
        Assert.Equal("INVALID_INPUT", (await badPeriod.NextAsync()).GetProperty("errors")[0].GetProperty("extensions").GetProperty("code").GetString());
    }

    [Fact]
    public async Task PeriodSummaryChanged_SendsTheSummary_ThenEveryChange()
    {
        var org = await TestOrg.CreateAsync(_cluster);
        await org.BillAsync(TestOrg.BillRow("p", "bob", "2026-11-09", 12.5m));
        using var sub = await _cluster.SubscribeAsync(org.Id,
            "subscription($p: String!) { periodSummaryChanged(period: $p) { period billed writtenOff residual rowCount } }", new { p = "2026-11" });
        var now = (await sub.NextAsync()).GetProperty("data").GetProperty("periodSummaryChanged");
        Assert.Equal(("2026-11", "12.5", "0"), (now.GetProperty("period").GetString(), now.GetProperty("billed").GetString(), now.GetProperty("writtenOff").GetString()));

        await org.Row("p").ApplyActionAsync(new RowCommand(RowAction.WriteOff, "w", null, "fin"));
        // The ingest's own change may still be on its way when the subscription starts (on a loaded machine): it
        // repeats the summary already sent. The next different one is the write-off's.
        var changed = (await sub.NextAsync()).GetProperty("data").GetProperty("periodSummaryChanged");
        if (changed.GetProperty("writtenOff").GetString() == "0" && changed.GetProperty("billed").GetString() == "12.5")
            changed = (await sub.NextAsync()).GetProperty("data").GetProperty("periodSummaryChanged");
        Assert.Equal(("12.5", "0"), (changed.GetProperty("writtenOff").GetString(), changed.GetProperty("residual").GetString()));
    }

    [Fact]
    public async Task ManySubscribers_ShareOneStreamSubscription_AndEverythingIsReleasedWhenTheyLeave()
    {
        var org = await TestOrg.CreateAsync(_cluster);
        await org.BillAsync(TestOrg.BillRow("m", "bob", "2026-11-10", 1m));
        await Eventually(() => Hub.StreamSubscriptions == 0 && Metrics.Feeds == 0, "earlier tests' feeds to end");

        var subs = new List<FlowstateCluster.Subscriber>();
        for (var i = 0; i < 50; i++) subs.Add(await SubscribeLiveAsync(org, new { period = "2026-11" }));
        subs.Add(await _cluster.SubscribeAsync(org.Id, "subscription { periodSummaryChanged(period: \"2026-11\") { billed } }"));
        await subs[^1].NextAsync();
        Assert.Equal((2, 51, 51), (Hub.StreamSubscriptions, Hub.Listeners, Metrics.Feeds));

        await org.Row("m").ApplyActionAsync(new RowCommand(RowAction.WriteOff, "w", null, "fin"));
        foreach (var s in subs.Take(50)) Assert.Equal("WRITTEN_OFF", Change(await s.NextAsync()).GetProperty("toStatus").GetString());

        subs.ForEach(s => s.Dispose());
        await Eventually(() => (Hub.StreamSubscriptions, Hub.Listeners, Metrics.Feeds, Metrics.LiveRowFeeds) == (0, 0, 0, 0), "every handle to be released");
    }
}
