using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Flowstate.Silo.Identity;
using Flowstate.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Flowstate.Tests.Integration.Fuzz;

/// <summary>
/// A real silo process on its own database with an org loaded with a little data: one provider,
/// people, billing rows (one written off, one confirmed) and sessions. Its rate limit is raised so
/// that 429s do not hide what the fuzzed requests would otherwise get.
/// </summary>
public sealed class FuzzSilo : IAsyncLifetime
{
    public const string Org = "fuzz";
    private SiloProcess? _silo;
    public TestDatabase Database { get; private set; } = null!;
    public Uri Base => _silo!.Base;
    public string Log => _silo!.Log;
    public FuzzTokens Tokens { get; private set; } = null!;
    /// <summary>An unreconciled row of the org and its version (the fuzzed row actions aim at it).</summary>
    public string RowId { get; private set; } = "";
    public int RowVersion { get; private set; }

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync();
        _silo = await SiloProcess.StartAsync(Database.ConnectionString, new Dictionary<string, string>
        {
            ["Flowstate__Web__RateLimits__PermitsPerWindow"] = "1000000",
            ["Flowstate__Web__RateLimits__WindowSeconds"] = "1",
        });
        var key = await DevelopmentSigningKey.GetOrCreateAsync(Database.ConnectionString);
        var admin = DevelopmentTokens.Mint(key, new TokenRequest { Org = Org, Roles = ["admin"], Subject = "loader@" + Org });
        using var http = new SiloHttp(admin);
        async Task<JsonNode> Gql(string query) => await http.DataAsync(Base, query);
        await Gql("""mutation { configureProvider(input: { id: "claude", name: "Claude", modality: "chat", prices: [{ model: "sonnet", inputPerMTokUsd: "3", outputPerMTokUsd: "15", cachedInputPerMTokUsd: "0.3", effectiveFrom: "2026-01-01" }] }) { id } }""");
        await Gql("""mutation { upsertWorkforce(input: { people: [{ id: "alice", email: "alice@fuzz.example", name: "Alice" }, { id: "bob", email: "bob@fuzz.example", name: "Bob" }] }) { people } }""");
        await Gql("""
            mutation { ingestBillingRows(input: { providerId: "claude", rows: [
              { externalId: "r1", subject: "alice", usageDate: "2026-11-03", totalCostUsd: "12.50" },
              { externalId: "r2", subject: "bob", usageDate: "2026-11-04", totalCostUsd: "3.10" },
              { externalId: "r3", subject: "alice", usageDate: "2026-11-05", totalCostUsd: "7" },
              { externalId: "r4", usageDate: "2026-11-06", totalCostUsd: "0.99" }] }) { accepted } }
            """);
        await Gql("""
            mutation { ingestSessions(input: { sessions: [
              { id: "s1", subject: "alice", providerId: "claude", model: "sonnet", startedAt: "2026-11-03T09:00:00Z", inputTokens: 1000, outputTokens: 200, costUsd: "2.5" },
              { id: "s2", subject: "bob", providerId: "claude", model: "sonnet", startedAt: "2026-11-04T10:00:00Z", inputTokens: 500, outputTokens: 100, costUsd: "1.25" }] }) { accepted } }
            """);
        var rows = await Gql("""{ reconciliation(period: "2026-11", statuses: [UNRECONCILED, SUGGESTED, AUTO_MATCHED]) { rows { edges { node { id version } } } } }""");
        var ids = rows["reconciliation"]!["rows"]!["edges"]!.AsArray().Select(e => (Id: e!["node"]!["id"]!.GetValue<string>(), Version: e["node"]!["version"]!.GetValue<int>())).OrderBy(r => r.Id).ToList();
        await Gql($$"""mutation { applyRowAction(input: { rowId: "{{ids[0].Id}}", action: WRITE_OFF, note: "too small to chase", expectedVersion: {{ids[0].Version}} }) { row { id } } }""");
        await Gql($$"""mutation { applyRowAction(input: { rowId: "{{ids[1].Id}}", action: WRITE_OFF, note: "duplicate charge", expectedVersion: {{ids[1].Version}} }) { row { id } } }""");
        (RowId, RowVersion) = ids[2];
        var created = await Gql("""mutation { createIngestKey(input: { name: "fuzz agent", roles: ["ingest"] }) { secret } }""");
        Tokens = FuzzTokens.Create(key, Org, created["createIngestKey"]!["secret"]!.GetValue<string>());
    }

    public async Task DisposeAsync()
    {
        if (_silo is not null) await _silo.DisposeAsync();
        await Database.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class FuzzCollection : ICollectionFixture<FuzzSilo> { public const string Name = "fuzz"; }

/// <summary>
/// The fuzz harness of issue 9: over ten thousand generated invalid or hostile requests over HTTP and
/// WebSocket against a real silo, from a fixed seed. None may get a 5xx, none may lose its
/// connection other than by a protocol close, and the org's state is the same afterwards.
/// </summary>
[Collection(FuzzCollection.Name)]
public sealed class FuzzTests(FuzzSilo silo, ITestOutputHelper output) : IDisposable
{
    private const int Seed = 9009, HttpRequests = 10_000, WebSocketConnections = 300, Parallel = 8;
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromSeconds(30) })
        { Timeout = TimeSpan.FromSeconds(60) };
    private readonly ConcurrentDictionary<string, int> _counts = new();
    private readonly ConcurrentQueue<string> _failures = new();

    public void Dispose() => _http.Dispose();

    private void Count(string kind, string outcome) => _counts.AddOrUpdate(kind + " → " + outcome, 1, (_, n) => n + 1);

    [Fact]
    public async Task TenThousandHostileRequests_GetNo5xx_DropNoConnection_AndChangeNothing()
    {
        var before = await FingerprintAsync();
        var cases = new FuzzCases(Seed, silo.Tokens, silo.RowId, silo.RowVersion);
        var http = cases.Http(HttpRequests);
        var sockets = cases.WebSockets(WebSocketConnections);
        var clock = Stopwatch.StartNew();

        var frames = 0;
        using var gate = new SemaphoreSlim(Parallel);
        var work = http.Select(c => Guarded(gate, () => SendAsync(c)))
            .Concat(sockets.Select(c => Guarded(gate, async () => Interlocked.Add(ref frames, await ConverseAsync(c)))));
        await Task.WhenAll(work);
        var elapsed = clock.Elapsed;

        var after = await FingerprintAsync();
        var fiveHundreds = _counts.Where(c => c.Key.Contains("→ HTTP 5")).Sum(c => c.Value);
        var dropped = _counts.Where(c => c.Key.Contains("→ dropped")).Sum(c => c.Value);

        output.WriteLine($"Seed {Seed}: {http.Count} HTTP requests and {sockets.Count} WebSocket connections ({frames} frames sent), " +
                         $"{http.Count + frames} requests in all, in {elapsed.TotalSeconds:0.0} s.");
        foreach (var group in http.GroupBy(c => c.Kind).OrderBy(g => g.Key)) output.WriteLine($"  HTTP {group.Key}: {group.Count()}");
        foreach (var group in sockets.GroupBy(c => c.Kind).OrderBy(g => g.Key)) output.WriteLine($"  WebSocket {group.Key}: {group.Count()} connections");
        output.WriteLine("Outcomes (kind → status or close code):");
        foreach (var (key, n) in _counts.OrderBy(c => c.Key, StringComparer.Ordinal)) output.WriteLine($"  {key}: {n}");
        output.WriteLine($"5xx: {fiveHundreds}, dropped connections: {dropped}, state unchanged: {before == after}");
        foreach (var failure in _failures.Take(20)) output.WriteLine("  " + failure);
        foreach (var (was, now) in before.Split('\n').Zip(after.Split('\n')).Where(p => p.First != p.Second))
            output.WriteLine($"  state changed:\n    before {was}\n    after  {now}");
        if (fiveHundreds > 0)
            foreach (var line in silo.Log.Split('\n').Where(l => l.Contains("Exception")).Distinct().Take(10)) output.WriteLine("  silo: " + Trim(line));

        Assert.True(http.Count + frames >= 10_000, $"only {http.Count + frames} requests");
        Assert.True(fiveHundreds == 0 && dropped == 0 && _failures.IsEmpty, string.Join("\n", _failures.Take(20)));
        Assert.Equal(before, after);
        // Still serving after all that.
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync(new Uri(silo.Base, "readyz"))).StatusCode);
    }

    [Theory]
    [InlineData("FFFFFFFFFFFFFFFFFF")]   // overflows: Kestrel reports it as an IOException, which once became a 500
    [InlineData("zz")]
    public async Task ABadChunkSize_Is400_Not500(string size)
    {
        var raw = "POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + silo.Tokens.Admin +
                  "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + size + "\r\n{}\r\n0\r\n\r\n";
        await SendRawAsync(new HttpCase("bad-chunked", HttpMethod.Post, "graphql", null, null, Raw: Encoding.ASCII.GetBytes(raw)));
        Assert.Equal("bad-chunked → HTTP 400", Assert.Single(_counts).Key);
    }

    private async Task Guarded(SemaphoreSlim gate, Func<Task> work)
    {
        await gate.WaitAsync();
        try { await work(); }
        finally { gate.Release(); }
    }

    /// <summary>The error codes (extensions.code) a response carries.</summary>
    private static IEnumerable<string> CodesIn(string body) =>
        System.Text.RegularExpressions.Regex.Matches(body, "\"extensions\"\\s*:\\s*\\{[^{}]*?\"code\"\\s*:\\s*\"([^\"]*)\"").Select(m => m.Groups[1].Value);

    private async Task SendAsync(HttpCase c)
    {
        if (c.Raw is not null)
        {
            await SendRawAsync(c);
            return;
        }
        using var request = new HttpRequestMessage(c.Method, new Uri(silo.Base, c.Path));
        var authorization = c.Credential switch
        {
            FuzzCredential.Admin => "Bearer " + silo.Tokens.Admin,
            FuzzCredential.IngestKey => "Bearer " + silo.Tokens.IngestKey,
            FuzzCredential.Literal => c.Authorization,
            _ => null,
        };
        if (!string.IsNullOrEmpty(authorization)) request.Headers.TryAddWithoutValidation("Authorization", authorization);
        if (c.Body is not null)
        {
            request.Content = new ByteArrayContent(c.Body);
            if (c.ContentType is not null) request.Content.Headers.TryAddWithoutValidation("Content-Type", c.ContentType);
            if (c.Chunked) { request.Headers.TransferEncodingChunked = true; request.Content.Headers.ContentLength = null; }
        }
        try
        {
            using var response = await _http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            var status = (int)response.StatusCode;
            Count(c.Kind, $"HTTP {status}");
            if (status >= 500) _failures.Enqueue($"{c.Kind}: {status} {Trim(body)}");
            // Every malformed body (truncated, trailing content, wrong member types, invalid UTF-8) is refused before it runs.
            if (c.Kind == "malformed-json" && (status != 400 || !body.Contains("\"INVALID_INPUT\"")))
                _failures.Enqueue($"{c.Kind}: {status} {Trim(body)} for {Trim(System.Text.Encoding.UTF8.GetString(c.Body ?? []))}");
            // Only the contract's codes, never a library's or an exception's name.
            foreach (var code in CodesIn(body).Where(code => !ErrorCodes.All.Contains(code)))
                _failures.Enqueue($"{c.Kind}: code {code} is not one of the contract's: {Trim(body)}");
            if (status == 200 && c.Credential == FuzzCredential.Literal && c.Path == "graphql")
                _failures.Enqueue($"{c.Kind}: a bad credential was accepted: {c.Authorization?[..Math.Min(40, c.Authorization.Length)]}");
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
        {
            Count(c.Kind, "dropped");
            _failures.Enqueue($"{c.Kind}: dropped: {e.GetType().Name}: {e.Message} {e.InnerException?.Message}");
        }
    }

    /// <summary>Writes the request as it is and reads the answer's status line; no answer at all is a dropped connection.</summary>
    private async Task SendRawAsync(HttpCase c)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(silo.Base.Host, silo.Base.Port);
            var stream = client.GetStream();
            await stream.WriteAsync(c.Raw);
            using var read = new MemoryStream();
            var buffer = new byte[4096];
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            int n;
            try { while ((n = await stream.ReadAsync(buffer, timeout.Token)) > 0) read.Write(buffer, 0, n); }
            catch (IOException) when (read.Length > 0) { }   // a reset after the answer is the server closing a bad connection
            var text = Encoding.ASCII.GetString(read.ToArray());
            if (text.StartsWith("HTTP/1.1 ") && text.Length >= 12 && int.TryParse(text.AsSpan(9, 3), out var status))
            {
                Count(c.Kind, $"HTTP {status}");
                if (status >= 500) _failures.Enqueue($"{c.Kind}: {status} {Trim(text)}");
            }
            else
            {
                Count(c.Kind, "dropped");
                _failures.Enqueue($"{c.Kind}: no HTTP answer ({read.Length} bytes)");
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
        {
            Count(c.Kind, "dropped");
            _failures.Enqueue($"{c.Kind}: dropped: {e.Message}");
        }
    }

    /// <summary>Plays one WebSocket conversation; returns the number of frames sent. A close frame from the server is a protocol close; anything else that ends the socket is a drop.</summary>
    private async Task<int> ConverseAsync(WebSocketCase c)
    {
        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol(c.SubProtocol);
        socket.Options.CollectHttpResponseDetails = true;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var sent = 0;
        try
        {
            await socket.ConnectAsync(new Uri($"ws://{silo.Base.Authority}/graphql"), timeout.Token);
        }
        catch (WebSocketException) when (socket.HttpStatusCode != 0)
        {
            Count(c.Kind, $"HTTP {(int)socket.HttpStatusCode}");
            if ((int)socket.HttpStatusCode >= 500) _failures.Enqueue($"{c.Kind}: handshake {(int)socket.HttpStatusCode}");
            return 1;
        }
        try
        {
            var frames = c.InitAsAdmin ? c.Frames.Prepend(JsonSerializer.Serialize(new { type = "connection_init", payload = new { authorization = "Bearer " + silo.Tokens.Admin } })) : c.Frames;
            var waiting = new HashSet<string>();
            foreach (var frame in frames)
            {
                if (socket.State != WebSocketState.Open) break;
                if (frame is null)
                    await socket.SendAsync(Enumerable.Range(0, 64).Select(i => (byte)(i * 37)).ToArray(), WebSocketMessageType.Binary, true, timeout.Token);
                else
                {
                    await socket.SendAsync(Encoding.UTF8.GetBytes(frame), WebSocketMessageType.Text, true, timeout.Token);
                    if (IdOf(frame) is { } id)
                    {
                        if (c.CancelIds?.Contains(id) == true)
                            await socket.SendAsync(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { id, type = "complete" })), WebSocketMessageType.Text, true, timeout.Token);
                        else waiting.Add(id);
                    }
                }
                sent++;
            }
            // Read until every operation that must end has ended (error or complete), or the server closes.
            var buffer = new byte[64 * 1024];
            var acked = !c.InitAsAdmin;
            while (socket.State == WebSocketState.Open && (waiting.Count > 0 || !acked || c.Kind != "ws-hostile-ops"))
            {
                using var message = new MemoryStream();
                WebSocketReceiveResult received;
                do
                {
                    received = await socket.ReceiveAsync(buffer, timeout.Token);
                    message.Write(buffer, 0, received.Count);
                } while (!received.EndOfMessage && received.MessageType != WebSocketMessageType.Close);
                if (received.MessageType == WebSocketMessageType.Close) break;
                var answer = JsonNode.Parse(message.ToArray());
                var type = answer?["type"]?.GetValue<string>();
                if (type == "connection_ack") acked = true;
                if (type is "error" or "complete" && answer?["id"]?.GetValue<string>() is { } done) waiting.Remove(done);
                if (type == "ping") await socket.SendAsync("""{"type":"pong"}"""u8.ToArray(), WebSocketMessageType.Text, true, timeout.Token);
                if (type == "error" && answer?["payload"]?.ToJsonString() is { } payload && payload.Contains("Internal"))
                    _failures.Enqueue($"{c.Kind}: internal error: {Trim(payload)}");
            }
            if (socket.State == WebSocketState.Open)
            {
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
                Count(c.Kind, "closed by client 1000");
            }
            else if (socket.CloseStatus is { } status)
            {
                if (socket.State == WebSocketState.CloseReceived) await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", timeout.Token);
                Count(c.Kind, $"close {(int)status}");
            }
            else
            {
                Count(c.Kind, "dropped");
                _failures.Enqueue($"{c.Kind}: socket ended without a close frame ({socket.State})");
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException)
        {
            if (socket.CloseStatus is { } status) Count(c.Kind, $"close {(int)status}");
            else
            {
                Count(c.Kind, "dropped");
                _failures.Enqueue($"{c.Kind}: dropped: {e.GetType().Name}: {e.Message}");
            }
        }
        return Math.Max(sent, 1);
    }

    private static string? IdOf(string frame)
    {
        try { return JsonNode.Parse(frame) is JsonObject o && o["id"] is JsonValue v && v.TryGetValue<string>(out var id) ? id : null; }
        catch (Exception) { return null; }
    }

    private static string Trim(string s) => s.Length > 300 ? s[..300] + "…" : s;

    /// <summary>
    /// Every grain's state but two kinds: the stream registry (subscriptions register there), and the provider's,
    /// which records each ingest attempt as its last billing pull or telemetry run, rejections included (DESIGN §4:
    /// "last pull and its errors"), so a rejected batch writes it by design. The provider's configuration is compared through GraphQL.
    /// </summary>
    private const string ComparedGrains = "graintypestring not ilike '%pubsub%' and graintypestring <> 'provider'";

    /// <summary>
    /// What the org holds: the period's summary, buckets and every row's status, version and note; the
    /// attribution totals; the sessions; providers and keys. And beneath it, a digest of every table the
    /// domain writes (ledger, sessions, row events, rollups, content, ingest log, grain state).
    /// </summary>
    private async Task<string> FingerprintAsync()
    {
        using var http = new SiloHttp(silo.Tokens.Admin);
        var data = await http.DataAsync(silo.Base, """
            { reconciliation(period: "2026-11", statuses: [UNRECONCILED, SUGGESTED, AUTO_MATCHED, CONFIRMED, WRITTEN_OFF, DEFERRED], first: 200) {
                summary { billed observed writtenOff residual } buckets { status count amount }
                rows { totalCount edges { node { id status version note } } } }
              attribution(range: LAST_30_DAYS, asOf: "2026-11-30") { total byProvider { key amount } byProject { key amount } children { amount } }
              sessions(range: LAST_30_DAYS, asOf: "2026-11-30", first: 200) { totalCount edges { node { id costUsd project { id } } } }
              providers { id name modality } ingestKeys { id name revokedAt } org { plan } }
            """);
        var sb = new StringBuilder(data.ToJsonString());
        foreach (var (table, columns) in new[]
                 {
                     ("recon_ledger", "t::text"), ("period_observed", "t::text"), ("sessions", "t::text"), ("row_events", "t::text"),
                     ("rollup_contrib", "t::text"), ("session_content", "t::text"), ("ingest_log", "t::text"),
                     ("orleans_grain_state", "graintypestring || coalesce(grainidextensionstring, '') || version || md5(coalesce(payloadbinary, ''::bytea))"),
                 })
        {
            var filter = table == "orleans_grain_state" ? " where " + ComparedGrains : "";
            var digest = await silo.Database.ScalarAsync<string>(
                $"select count(*) || ':' || coalesce(md5(string_agg({columns}, E'\\n' order by {columns})), '') from {table} t{filter}");
            sb.Append('\n').Append(table).Append(' ').Append(digest);
        }
        // Each grain's state on a line of its own, so a change names the grain.
        sb.Append('\n').Append(await silo.Database.ScalarAsync<string>(
            "select coalesce(string_agg(graintypestring || ' ' || coalesce(grainidextensionstring, '') || ' v' || version || ' ' || md5(coalesce(payloadbinary, ''::bytea)), E'\\n' order by graintypestring, grainidextensionstring), '') " +
            "from orleans_grain_state where " + ComparedGrains));
        return sb.ToString();
    }
}
