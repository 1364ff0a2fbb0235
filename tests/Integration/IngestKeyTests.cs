using System.Diagnostics;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using System.Text;
using System.Text.Json.Nodes;
using Flowstate.Silo.Hosting;
using Flowstate.Tests.Infrastructure;

namespace Flowstate.Tests.Integration;

/// <summary>
/// Ingest keys end to end on two real silo processes in one cluster on one database: an admin
/// creates a key (secret shown once, fsk_…), the key authenticates GraphQL ingestion and OTLP on
/// either silo as its own org and roles, a bad key is 401 UNAUTHENTICATED, and a key revoked
/// through one silo is refused by the other on its very next request (no cache to outlive).
/// </summary>
[Collection(DurabilityCollection.Name)]
public sealed class IngestKeyTests(IngestKeyTests.TwoSilos silos) : IClassFixture<IngestKeyTests.TwoSilos>
{
    private const string Org = "keys-org";

    /// <summary>Two silo processes in one ADO.NET cluster on a fresh database, shared by the tests of this class.</summary>
    public sealed class TwoSilos : IAsyncLifetime
    {
        private TestDatabase _db = null!;
        private readonly ConcurrentQueue<string> _log = new();
        public LocalCluster Cluster { get; private set; } = null!;
        public HttpClient Admin { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };
        public HttpClient Anonymous { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

        public async Task InitializeAsync()
        {
            _db = await TestDatabase.CreateAsync();
            Cluster = SiloBinary.Cluster(_db.ConnectionString, "ingest-key-tests", 2, _log, new Dictionary<string, string> { ["Flowstate__WebSocket__RecheckInterval"] = "00:00:01" });
            Admin.SignedIn(await TestTokens.MintAsync(_db.ConnectionString, Org));
            await Cluster.StartAsync(TimeSpan.FromSeconds(120));
            using var configure = await Admin.PostAsJsonAsync(new Uri(Cluster.Silos[0].Url, "graphql"),
                new { query = """mutation { configureProvider(input: { id: "claude", name: "Claude" }) { id } }""" });
            configure.EnsureSuccessStatusCode();
        }

        public async Task DisposeAsync()
        {
            await Cluster.DisposeAsync();
            Admin.Dispose();
            Anonymous.Dispose();
            await _db.DisposeAsync();
        }
    }

    private HttpClient _admin => silos.Admin;
    private HttpClient _anonymous => silos.Anonymous;
    private Uri Silo(int i) => silos.Cluster.Silos[i].Url;

    private static async Task<(HttpStatusCode Status, JsonNode Body)> PostAsync(HttpClient http, Uri silo, string query, object? variables = null, string? bearer = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(silo, "graphql")) { Content = JsonContent.Create(new { query, variables }) };
        if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        using var response = await http.SendAsync(request);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    private async Task<JsonNode> AdminAsync(int silo, string query, object? variables = null)
    {
        var (status, body) = await PostAsync(_admin, Silo(silo), query, variables);
        Assert.True(status == HttpStatusCode.OK && body["errors"] is null, $"{(int)status}: {body.ToJsonString()}");
        return body["data"]!;
    }

    private static string? Code(JsonNode body) => body["errors"]?[0]?["extensions"]?["code"]?.GetValue<string>();

    private async Task<HttpStatusCode> OtlpAsync(int silo, string bearer)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(Silo(silo), "v1/logs"))
        {
            Content = new StringContent("""{"resourceLogs":[]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        using var response = await _anonymous.SendAsync(request);
        return response.StatusCode;
    }

    private const string IngestSessions = """
        mutation { ingestSessions(input: { sessions: [{ id: "k1", subject: "ann", providerId: "claude", model: "sonnet",
          startedAt: "2026-11-04T10:00:00Z", inputTokens: 10, outputTokens: 5, costUsd: "1.25" }] }) { accepted duplicates } }
        """;

    [Fact]
    public async Task AKey_WorksOnEverySilo_AsItsOrgAndRoles_AndARevokedKeyFailsAtOnceEverywhere()
    {
        var created = (await AdminAsync(0, """mutation { createIngestKey(input: { name: "laptop agent", roles: ["ingest"], subject: "ann@example.com" }) { secret key { id name prefix roles actor lastUsedAt revokedAt } } }"""))["createIngestKey"]!;
        var secret = created["secret"]!.GetValue<string>();
        var id = created["key"]!["id"]!.GetValue<string>();
        Assert.StartsWith("fsk_", secret);
        Assert.True(secret.Length >= 4 + 43, secret);   // 32 random bytes in base64url
        Assert.Equal(secret[..12], created["key"]!["prefix"]!.GetValue<string>());
        Assert.Equal($"key:{id}", created["key"]!["actor"]!.GetValue<string>());

        // The key ingests through either silo, into its own org; it may do nothing else.
        var (status, body) = await PostAsync(_anonymous, Silo(0), IngestSessions, bearer: secret);
        Assert.True(status == HttpStatusCode.OK && body["errors"] is null, body.ToJsonString());
        Assert.Equal(1, body["data"]!["ingestSessions"]!["accepted"]!.GetValue<int>());
        (status, body) = await PostAsync(_anonymous, Silo(1), IngestSessions, bearer: secret);
        Assert.Equal(1, body["data"]!["ingestSessions"]!["duplicates"]!.GetValue<int>());
        (_, body) = await PostAsync(_anonymous, Silo(1), """{ reconciliation(period: "2026-11") { summary { billed } } }""", bearer: secret);
        Assert.Equal("FORBIDDEN", Code(body));
        Assert.Equal(1, (await AdminAsync(1, """{ sessions(asOf: "2026-11-20") { totalCount } }"""))["sessions"]!["totalCount"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.OK, await OtlpAsync(1, secret));

        // Listed on the other silo without the secret, with its use recorded.
        var listed = (await AdminAsync(1, "{ ingestKeys { id name prefix roles subject lastUsedAt revokedAt } }"))["ingestKeys"]!.AsArray();
        var key = Assert.Single(listed, k => k!["id"]!.GetValue<string>() == id)!;
        Assert.Equal(("laptop agent", "ingest"), (key["name"]!.GetValue<string>(), key["roles"]![0]!.GetValue<string>()));
        Assert.NotNull(key["lastUsedAt"]);
        Assert.Equal("ann@example.com", key["subject"]!.GetValue<string>());
        Assert.DoesNotContain(secret[12..], listed.ToJsonString());

        // Revoked through silo 0: silo 1 refuses the very next request, for GraphQL and for OTLP.
        var revoked = (await AdminAsync(0, "mutation($id: ID!) { revokeIngestKey(id: $id) { id revokedAt revokedBy } }", new { id }))["revokeIngestKey"]!;
        Assert.NotNull(revoked["revokedAt"]);
        Assert.Equal("tester@" + Org, revoked["revokedBy"]!.GetValue<string>());
        (status, body) = await PostAsync(_anonymous, Silo(1), IngestSessions, bearer: secret);
        Assert.Equal((HttpStatusCode.Unauthorized, "UNAUTHENTICATED"), (status, Code(body)));
        Assert.Equal(HttpStatusCode.Unauthorized, await OtlpAsync(1, secret));
        (status, body) = await PostAsync(_anonymous, Silo(0), IngestSessions, bearer: secret);
        Assert.Equal((HttpStatusCode.Unauthorized, "UNAUTHENTICATED"), (status, Code(body)));
        // Revoking again changes nothing.
        Assert.Equal(revoked["revokedAt"]!.GetValue<string>(),
            (await AdminAsync(1, "mutation($id: ID!) { revokeIngestKey(id: $id) { revokedAt } }", new { id }))["revokeIngestKey"]!["revokedAt"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("fsk_not-a-key-at-all")]
    [InlineData("fsk_")]
    [InlineData("fsk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public async Task AnUnknownKey_IsUnauthenticated_OverGraphQLAndOtlp(string bearer)
    {
        var (status, body) = await PostAsync(_anonymous, Silo(0), IngestSessions, bearer: bearer);
        Assert.Equal((HttpStatusCode.Unauthorized, "UNAUTHENTICATED"), (status, Code(body)));
        Assert.Equal(HttpStatusCode.Unauthorized, await OtlpAsync(1, bearer));
    }

    [Fact]
    public async Task AnIntegratorKey_ReadsButCannotIngest_AndBadInputCreatesNothing()
    {
        var secret = (await AdminAsync(0, """mutation { createIngestKey(input: { name: "ledger feed", roles: ["integrator"] }) { secret } }"""))["createIngestKey"]!["secret"]!.GetValue<string>();
        var (status, body) = await PostAsync(_anonymous, Silo(1), """{ reconciliation(period: "2026-11") { summary { billed } } }""", bearer: secret);
        Assert.True(status == HttpStatusCode.OK && body["errors"] is null, body.ToJsonString());
        (_, body) = await PostAsync(_anonymous, Silo(1), IngestSessions, bearer: secret);
        Assert.Equal("FORBIDDEN", Code(body));
        Assert.Equal(HttpStatusCode.Forbidden, await OtlpAsync(0, secret));
        // A key cannot manage keys, whatever its roles.
        (_, body) = await PostAsync(_anonymous, Silo(0), "{ ingestKeys { id } }", bearer: secret);
        Assert.Equal("FORBIDDEN", Code(body));

        foreach (var input in new[]
        {
            """{ name: "x", roles: ["admin"] }""", """{ name: "x", roles: [] }""", """{ name: "", roles: ["ingest"] }""",
            """{ name: "   ", roles: ["ingest"] }""", $$"""{ name: "{{new string('n', 101)}}", roles: ["ingest"] }""", """{ name: "x", roles: ["ingest", "finance"] }""",
        })
        {
            var (_, refused) = await PostAsync(_admin, Silo(0), $"mutation {{ createIngestKey(input: {input}) {{ secret }} }}");
            Assert.True(Code(refused) == "INVALID_INPUT", $"{input}: {refused.ToJsonString()}");
        }
        Assert.Single((await AdminAsync(1, "{ ingestKeys { name } }"))["ingestKeys"]!.AsArray(), k => k!["name"]!.GetValue<string>() == "ledger feed");
    }

    [Fact]
    public async Task AnIntegratorKey_SubscribesOverWebSocket_AndOnceRevokedIsClosedAndCannotConnect()
    {
        var created = (await AdminAsync(0, """mutation { createIngestKey(input: { name: "ws feed", roles: ["integrator"] }) { secret key { id } } }"""))["createIngestKey"]!;
        var secret = created["secret"]!.GetValue<string>();
        await AdminAsync(0, """mutation { ingestBillingRows(input: { providerId: "claude", rows: [{ externalId: "ws0", subject: "ann", usageDate: "2026-11-04", totalCostUsd: "3" }] }) { accepted } }""");
        var cursor = (await AdminAsync(0, "{ auditLog(first: 1, newestFirst: true) { edges { cursor } } }"))["auditLog"]!["edges"]![0]!["cursor"]!.GetValue<string>();

        using (var ws = new ClientWebSocket())
        {
            ws.Options.AddSubProtocol("graphql-transport-ws");
            await ws.ConnectAsync(new Uri($"ws://{Silo(1).Authority}/graphql"), CancellationToken.None);
            await SendAsync(ws, new { type = "connection_init", payload = new { authorization = $"Bearer {secret}" } });
            Assert.Contains("connection_ack", await ReceiveAsync(ws));
            await SendAsync(ws, new { id = "1", type = "subscribe", payload = new { query = "subscription($after: String) { rowStatusChanged(after: $after) { actor row { externalId } } }", variables = new { after = cursor } } });
            await AdminAsync(0, """mutation { ingestBillingRows(input: { providerId: "claude", rows: [{ externalId: "ws1", subject: "ann", usageDate: "2026-11-04", totalCostUsd: "4" }] }) { accepted } }""");
            var next = await ReceiveAsync(ws);
            Assert.Contains("\"next\"", next);
            Assert.Contains("ws1", next);

            // Revoked on the other silo: the open socket is closed (4403) within the recheck interval (1 s here).
            var revoked = Stopwatch.StartNew();
            await AdminAsync(0, "mutation($id: ID!) { revokeIngestKey(id: $id) { id } }", new { id = created["key"]!["id"]!.GetValue<string>() });
            while (await ReceiveAsync(ws) != "closed")
                Assert.True(revoked.Elapsed < TimeSpan.FromSeconds(30), "the socket is still open 30 s after the revocation");
            Assert.Equal(4403, (int)ws.CloseStatus!);
        }

        using var refused = new ClientWebSocket();
        refused.Options.AddSubProtocol("graphql-transport-ws");
        await refused.ConnectAsync(new Uri($"ws://{Silo(0).Authority}/graphql"), CancellationToken.None);
        await SendAsync(refused, new { type = "connection_init", payload = new { authorization = $"Bearer {secret}" } });
        Assert.Equal("closed", await ReceiveAsync(refused));
        Assert.Equal(4403, (int)refused.CloseStatus!);
    }

    private static Task SendAsync(ClientWebSocket ws, object message) =>
        ws.SendAsync(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(message)), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>The next text message, or "closed" once the server closes the socket.</summary>
    private static async Task<string> ReceiveAsync(ClientWebSocket ws)
    {
        var buffer = new byte[16_384];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var result = await ws.ReceiveAsync(buffer, timeout.Token);
        return result.MessageType == WebSocketMessageType.Close ? "closed" : Encoding.UTF8.GetString(buffer, 0, result.Count);
    }
}
