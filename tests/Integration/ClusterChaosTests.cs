using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Flowstate.Silo.Hosting;
using Flowstate.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Flowstate.Tests.Integration;

/// <summary>
/// Chaos on a real three-silo cluster (ADO.NET membership, PostgreSQL behind a proxy) under a mixed
/// load of row actions, session ingest and 50 WebSocket subscribers spread over the silos: a SIGKILL,
/// a rolling restart and a 20 s PostgreSQL outage, one after the other. After each, with the system
/// quiet: every acknowledged action and session is present once, invariants 1–4 hold, the rollups equal
/// a recomputation, and every subscriber, resuming from its last cursor, has had every event exactly once.
/// </summary>
[Collection(ProcessCollection.Name)]
public sealed class ClusterChaosTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Subscribers = 50;
    private static readonly TimeSpan Ready = TimeSpan.FromSeconds(120);
    private TestDatabase _db = null!;
    private TcpProxy _proxy = null!;
    private LocalCluster _cluster = null!;
    private SiloHttp _http = null!;
    private string _token = "";
    private readonly ConcurrentQueue<string> _log = new();

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync();
        (_proxy, var throughProxy) = TcpProxy.Before(_db.ConnectionString);
        _cluster = SiloBinary.Cluster(throughProxy, "chaos-tests", 3, _log, new Dictionary<string, string> { ["Flowstate__ShutdownSeconds"] = "15" });
        _token = await TestTokens.MintAsync(_db.ConnectionString, "chaos-tests");
        _http = new SiloHttp(_token);
        await _cluster.StartAsync(Ready);
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        _http.Dispose();
        await _proxy.DisposeAsync();
        await _db.DisposeAsync();
    }

    private IReadOnlyList<Uri> Live() => _cluster.Silos.Where(s => s.IsRunning).Select(s => s.Url).ToList();

    [Fact]
    public async Task KillRollingRestartAndOutage_LoseNothing_AndEverySubscriberHasEveryEventOnce()
    {
        var load = new MixedLoad(_http, Live, rows: 30, rowWorkers: 6, sessionWorkers: 2);
        await load.SeedAsync();
        var subscribers = Enumerable.Range(0, Subscribers).Select(i => new Subscriber(i, _token, Live, _log)).ToList();
        await Task.WhenAll(subscribers.Select(s => s.StartAsync()));

        await PhaseAsync("SIGKILL", load, subscribers, async () =>
        {
            var victim = _cluster.Silos[1];
            victim.Kill();
            await victim.Exited;
            await Task.Delay(TimeSpan.FromSeconds(5));
            await victim.StartAsync(Ready);
        });

        await PhaseAsync("rolling restart", load, subscribers, async () =>
        {
            foreach (var silo in _cluster.Silos)
            {
                Assert.Equal(0, await silo.StopAsync(TimeSpan.FromSeconds(40)));
                await silo.StartAsync(Ready);
            }
        });

        await PhaseAsync("PostgreSQL outage", load, subscribers, async () =>
        {
            _proxy.Cut();
            await Task.Delay(TimeSpan.FromSeconds(20));
            _proxy.Restore();
            foreach (var silo in _cluster.Silos)
                await SiloHttp.UntilAsync(async () => await _http.ReadyAsync(silo.Url) == HttpStatusCode.OK, TimeSpan.FromSeconds(90), $"{silo.Name} ready", Log);
        });

        foreach (var s in subscribers) await s.DisposeAsync();
    }

    /// <summary>Load for a while, the fault, load again, then quiet, and the checks with their counts printed.</summary>
    private async Task PhaseAsync(string name, MixedLoad load, List<Subscriber> subscribers, Func<Task> fault)
    {
        using var stop = new CancellationTokenSource();
        var running = load.RunAsync(stop.Token);
        var before = load.AcknowledgedActions;
        await SiloHttp.UntilAsync(() => Task.FromResult(load.AcknowledgedActions >= before + 60), TimeSpan.FromSeconds(90), $"{name}: load before", Log);
        await fault();
        var after = load.AcknowledgedActions;
        await SiloHttp.UntilAsync(() => Task.FromResult(load.AcknowledgedActions >= after + 60), TimeSpan.FromSeconds(120), $"{name}: load after", Log);
        stop.Cancel();
        await running;

        // Quiet: the journal replay finishes what a fault caught, then everything must add up.
        (MixedLoad.Counts Actions, MixedLoad.Counts Sessions) counts = default;
        await SiloHttp.UntilAsync(async () =>
        {
            try { counts = await load.VerifyAsync(_db); return true; }
            catch (Xunit.Sdk.XunitException) { return false; }
        }, TimeSpan.FromSeconds(90), $"{name}: the periods and rollups re-converged", Log);
        counts = await load.VerifyAsync(_db);

        var expected = await AuditCursorsAsync();
        await SiloHttp.UntilAsync(() => Task.FromResult(subscribers.All(s => s.Received >= expected.Count)), TimeSpan.FromSeconds(90),
            $"{name}: subscribers caught up to {expected.Count} events ({string.Join(",", subscribers.Select(s => s.Received))})", Log);
        var missing = subscribers.Sum(s => expected.Count(c => !s.Has(c)));
        var duplicated = subscribers.Sum(s => s.Duplicates);
        output.WriteLine($"{name}: {load.AcknowledgedActions} actions acknowledged so far, rows' last ones {counts.Actions}; sessions {counts.Sessions}; subscribers {Subscribers} × {expected.Count} events: " +
                         $"missing {missing}, duplicated {duplicated}, reconnects {subscribers.Sum(s => s.Reconnects)}; failed requests: {load.DescribeFailures()}");
        Assert.Equal(0, counts.Actions.Lost);
        Assert.Equal((0, 0), (counts.Sessions.Lost, counts.Sessions.Duplicated));
        Assert.Equal((0, 0), (missing, duplicated));
    }

    /// <summary>Every row event of the load's provider, from the event log (what a subscriber from the start must have had).</summary>
    private async Task<List<string>> AuditCursorsAsync()
    {
        var cursors = new List<string>();
        string? after = null;
        do
        {
            var page = (await _http.DataAsync(Live()[0], """
                query($after: String) { auditLog(filter: { providerId: "p" }, first: 200, after: $after) { edges { cursor } pageInfo { hasNextPage endCursor } } }
                """, new { after }))["auditLog"]!;
            cursors.AddRange(page["edges"]!.AsArray().Select(e => e!["cursor"]!.GetValue<string>()));
            after = page["pageInfo"]!["hasNextPage"]!.GetValue<bool>() ? page["pageInfo"]!["endCursor"]!.GetValue<string>() : null;
        } while (after is not null);
        return cursors;
    }

    private string Log() => "Last silo output:\n" + string.Join('\n', _log.TakeLast(60));

    /// <summary>
    /// A graphql-ws client of rowStatusChanged(provider: "p") from the start of the log. When its socket
    /// closes (its silo died or left) or the server ends the subscription, it reconnects to a live silo
    /// and resumes after the last cursor it received, as the contract tells clients to.
    /// </summary>
    private sealed class Subscriber(int index, string token, Func<IReadOnlyList<Uri>> silos, ConcurrentQueue<string> log) : IAsyncDisposable
    {
        private static readonly string Start = Convert.ToBase64String(Encoding.UTF8.GetBytes("row-event:0"));
        private readonly ConcurrentDictionary<string, byte> _seen = new();
        private readonly CancellationTokenSource _stop = new();
        private string _last = Start;
        private int _duplicates, _reconnects, _received;
        private Task _running = Task.CompletedTask;

        public int Received => Volatile.Read(ref _received);
        public int Duplicates => Volatile.Read(ref _duplicates);
        public int Reconnects => Volatile.Read(ref _reconnects);
        public bool Has(string cursor) => _seen.ContainsKey(cursor);

        public async Task StartAsync()
        {
            var first = new TaskCompletionSource();
            _running = RunAsync(first);
            await first.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }

        private async Task RunAsync(TaskCompletionSource subscribed)
        {
            for (var attempt = 0; !_stop.IsCancellationRequested; attempt++)
            {
                try
                {
                    var live = silos();
                    using var ws = new ClientWebSocket();
                    ws.Options.AddSubProtocol("graphql-transport-ws");
                    await ws.ConnectAsync(new Uri($"ws://{live[(index + attempt) % live.Count].Authority}/graphql"), _stop.Token);
                    await SendAsync(ws, new { type = "connection_init", payload = new { authorization = $"Bearer {token}" } });
                    if (!(await ReceiveAsync(ws))?.Contains("connection_ack") ?? true) throw new WebSocketException("no ack");
                    await SendAsync(ws, new { id = "s", type = "subscribe", payload = new
                    {
                        query = "subscription($after: String) { rowStatusChanged(provider: \"p\", after: $after) { cursor toStatus } }",
                        variables = new { after = _last },
                    } });
                    subscribed.TrySetResult();
                    while (await ReceiveAsync(ws) is { } text)
                    {
                        var message = JsonNode.Parse(text)!;
                        var type = message["type"]!.GetValue<string>();
                        if (type == "next" && message["payload"]!["data"]?["rowStatusChanged"]?["cursor"]?.GetValue<string>() is { } cursor)
                        {
                            if (!_seen.TryAdd(cursor, 0)) Interlocked.Increment(ref _duplicates);
                            else Interlocked.Increment(ref _received);
                            _last = cursor;
                        }
                        else if (type is "error" or "complete" || message["payload"]?["errors"] is not null) break;
                    }
                }
                catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or HttpRequestException && !_stop.IsCancellationRequested)
                {
                    if (attempt % 20 == 0) log.Enqueue($"[subscriber {index}] {e.GetType().Name}: {e.Message}");
                }
                if (_stop.IsCancellationRequested) return;
                Interlocked.Increment(ref _reconnects);
                await Task.Delay(250);
            }
        }

        private static Task SendAsync(ClientWebSocket ws, object message) =>
            ws.SendAsync(JsonSerializer.SerializeToUtf8Bytes(message), WebSocketMessageType.Text, true, CancellationToken.None);

        /// <summary>The next whole text message, or null once the socket closes.</summary>
        private async Task<string?> ReceiveAsync(ClientWebSocket ws)
        {
            var buffer = new byte[8192];
            using var message = new MemoryStream();
            while (true)
            {
                var result = await ws.ReceiveAsync(buffer, _stop.Token);
                if (result.MessageType == WebSocketMessageType.Close) return null;
                message.Write(buffer, 0, result.Count);
                if (result.EndOfMessage) return Encoding.UTF8.GetString(message.ToArray());
            }
        }

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            try { await _running; } catch (OperationCanceledException) { }
            _stop.Dispose();
        }
    }
}
