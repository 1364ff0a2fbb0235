using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Flowstate.Silo.Identity;
using Flowstate.Tests.Infrastructure;

namespace Flowstate.Tests.Integration;

/// <summary>A silo process (<c>serve</c>, Development, no demo) on free ports, and what it printed.</summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _log = new();
    private Process _process = null!;
    public Uri Base { get; private set; } = null!;
    public string Log => string.Join('\n', _log);

    public static async Task<SiloProcess> StartAsync(string database, IReadOnlyDictionary<string, string>? environment = null)
    {
        var silo = new SiloProcess();
        var (http, siloPort, gateway) = SiloBinary.FreePortBases(1);
        silo.Base = new Uri($"http://127.0.0.1:{http}/");
        var start = new ProcessStartInfo("dotnet", $"\"{SiloBinary.Path}\" serve")
        {
            WorkingDirectory = Path.GetDirectoryName(SiloBinary.Path)!, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        start.Environment["FLOWSTATE_DB"] = database;
        start.Environment["FLOWSTATE_HTTP"] = silo.Base.ToString().TrimEnd('/');
        start.Environment["FLOWSTATE_DEMO"] = "0";
        start.Environment["Flowstate__SiloPort"] = siloPort.ToString();
        start.Environment["Flowstate__GatewayPort"] = gateway.ToString();
        foreach (var (name, value) in TestTokens.SiloEnvironment.Concat(environment ?? new Dictionary<string, string>())) start.Environment[name] = value;
        silo._process = Process.Start(start)!;
        silo._process.OutputDataReceived += (_, e) => { if (e.Data is not null) silo._log.Enqueue(e.Data); };
        silo._process.ErrorDataReceived += (_, e) => { if (e.Data is not null) silo._log.Enqueue(e.Data); };
        silo._process.BeginOutputReadLine();
        silo._process.BeginErrorReadLine();
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await SiloHttp.UntilAsync(async () =>
        {
            if (silo._process.HasExited) throw new InvalidOperationException($"The silo exited with {silo._process.ExitCode}:\n{silo.Log}");
            try { return (await probe.GetAsync(new Uri(silo.Base, "readyz"))).IsSuccessStatusCode; }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { return false; }
        }, TimeSpan.FromSeconds(120), "the silo became ready", () => silo.Log);
        return silo;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) { _process.Kill(entireProcessTree: true); await _process.WaitForExitAsync(); }
        _process.Dispose();
    }
}

/// <summary>
/// One real silo process on its own database, with low per-identity limits (each test acts as its
/// own identity, so only the limit tests reach them).
/// </summary>
public sealed class WebSecuritySilo : IAsyncLifetime
{
    /// <summary>Requests per identity per hour, and open WebSockets per identity, on this silo.</summary>
    public const int Permits = 40, SocketsPerIdentity = 2, SocketsPerClient = 6;
    public const string Org = "websec";

    private SiloProcess? _silo;
    public TestDatabase Database { get; private set; } = null!;
    public Uri Base => _silo!.Base;
    public string Log => _silo!.Log;

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync();
        _silo = await SiloProcess.StartAsync(Database.ConnectionString, new Dictionary<string, string>
        {
            ["Flowstate__Web__RateLimits__PermitsPerWindow"] = Permits.ToString(),
            ["Flowstate__Web__RateLimits__WindowSeconds"] = "3600",
            ["Flowstate__Web__RateLimits__WebSocketsPerIdentity"] = SocketsPerIdentity.ToString(),
            ["Flowstate__Web__RateLimits__WebSocketsPerClient"] = SocketsPerClient.ToString(),
            ["Flowstate__WebSocket__RecheckInterval"] = "00:00:01",
        });
    }

    public Task<string> TokenAsync(string subject, params string[] roles) =>
        TestTokens.MintAsync(Database.ConnectionString, new TokenRequest { Org = Org, Subject = subject, Roles = roles.Length > 0 ? roles : ["admin"] });

    public async Task DisposeAsync()
    {
        if (_silo is not null) await _silo.DisposeAsync();
        await Database.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class WebSecurityCollection : ICollectionFixture<WebSecuritySilo> { public const string Name = "web-security"; }

/// <summary>
/// The browser-facing hardening of DESIGN §7 against a real silo over HTTP and WebSocket: the
/// session cookie a token is traded for, CSRF and WebSocket-origin refusals, security headers,
/// and the per-identity rate limits.
/// </summary>
[Collection(WebSecurityCollection.Name)]
public sealed class WebSecurityTests(WebSecuritySilo silo) : IDisposable
{
    private const string Evil = "http://evil.example";
    // Cookies are sent by hand, so each request carries exactly the credentials the test means.
    private readonly HttpClient _http = new(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(60) };
    private string Own => silo.Base.GetLeftPart(UriPartial.Authority);

    public void Dispose() => _http.Dispose();

    private HttpRequestMessage Request(HttpMethod method, string path, string? cookie = null, string? bearer = null, string? origin = null,
                                       string? fetchSite = null, object? graphql = null)
    {
        var request = new HttpRequestMessage(method, new Uri(silo.Base, path));
        if (cookie is not null) request.Headers.Add("Cookie", cookie);
        if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        if (origin is not null) request.Headers.Add("Origin", origin);
        if (fetchSite is not null) request.Headers.Add("Sec-Fetch-Site", fetchSite);
        if (graphql is not null) request.Content = JsonContent.Create(graphql);
        return request;
    }

    /// <summary>Signs in with a fresh token of <paramref name="subject"/>; returns the cookie pair to send and the Set-Cookie header.</summary>
    private async Task<(string Cookie, string SetCookie, string Token)> SignInAsync(string subject, params string[] roles)
    {
        var token = await silo.TokenAsync(subject, roles);
        using var response = await _http.SendAsync(Request(HttpMethod.Post, "auth/session", bearer: token, origin: Own));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var setCookie = Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith(BrowserSession.CookieName + "="));
        return (setCookie.Split(';')[0], setCookie, token);
    }

    private static object Mutation(string provider) =>
        new { query = $$"""mutation { configureProvider(input: { id: "{{provider}}", name: "CSRF probe" }) { id } }""" };

    private async Task<bool> ProviderExistsAsync(string token, string provider)
    {
        using var response = await _http.SendAsync(Request(HttpMethod.Post, "graphql", bearer: token, graphql: new { query = "{ providers { id } }" }));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return body["data"]!["providers"]!.AsArray().Any(p => p!["id"]!.GetValue<string>() == provider);
    }

    [Fact]
    public async Task SignIn_TradesTheTokenForAnHttpOnlyStrictSessionCookie_ThatActsAsTheCaller()
    {
        var (cookie, setCookie, token) = await SignInAsync("session-user");
        var attributes = setCookie.Split(';').Skip(1).Select(a => a.Trim().ToLowerInvariant()).ToList();
        Assert.Contains("httponly", attributes);
        Assert.Contains("samesite=strict", attributes);
        Assert.Contains("path=/", attributes);
        Assert.DoesNotContain("secure", attributes);   // plain HTTP here; Secure on HTTPS (or with SecureCookieAlways)
        Assert.DoesNotContain(token, setCookie);        // the cookie is the protected ticket, never the token

        using var me = await _http.SendAsync(Request(HttpMethod.Get, "auth/me", cookie: cookie));
        Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        var viewer = JsonNode.Parse(await me.Content.ReadAsStringAsync())!;
        Assert.Equal((WebSecuritySilo.Org, "session-user"), (viewer["org"]!.GetValue<string>(), viewer["sub"]!.GetValue<string>()));

        using var acted = await _http.SendAsync(Request(HttpMethod.Post, "graphql", cookie: cookie, origin: Own, graphql: Mutation("by-cookie")));
        Assert.Equal(HttpStatusCode.OK, acted.StatusCode);
        Assert.True(await ProviderExistsAsync(token, "by-cookie"));
    }

    [Theory]
    [InlineData("not-a-token")]
    [InlineData(null)]
    public async Task SignIn_WithoutAValidToken_Is401_AndSetsNoCookie(string? token)
    {
        using var response = await _http.SendAsync(Request(HttpMethod.Post, "auth/session", bearer: token, origin: Own));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie"));
        Assert.Contains("UNAUTHENTICATED", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task SignIn_FromAnotherSite_IsRefused()
    {
        var token = await silo.TokenAsync("login-csrf");
        using var response = await _http.SendAsync(Request(HttpMethod.Post, "auth/session", bearer: token, origin: Evil));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task SignOut_EndsTheSessionOnTheServer_AndIsRefusedFromAnotherSite()
    {
        var (cookie, _, _) = await SignInAsync("sign-out");
        using (var crossSite = await _http.SendAsync(Request(HttpMethod.Delete, "auth/session", cookie: cookie, origin: Evil)))
        {
            Assert.Equal(HttpStatusCode.Forbidden, crossSite.StatusCode);
            Assert.False(crossSite.Headers.Contains("Set-Cookie"));
        }
        using var signedOut = await _http.SendAsync(Request(HttpMethod.Delete, "auth/session", cookie: cookie, origin: Own));
        Assert.Equal(HttpStatusCode.NoContent, signedOut.StatusCode);
        var cleared = Assert.Single(signedOut.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith(BrowserSession.CookieName + "=;", cleared);
        Assert.Contains("expires=thu, 01 jan 1970", cleared.ToLowerInvariant());
        // A copy of the cookie kept after signing out acts as nobody: the session is gone on the server.
        using var replayed = await _http.SendAsync(Request(HttpMethod.Get, "auth/me", cookie: cookie));
        Assert.Equal(HttpStatusCode.Unauthorized, replayed.StatusCode);
        using var acting = await _http.SendAsync(Request(HttpMethod.Post, "graphql", cookie: cookie, origin: Own, graphql: new { query = "{ __typename }" }));
        Assert.Equal(HttpStatusCode.Unauthorized, acting.StatusCode);
    }

    public static TheoryData<string?, string?> CrossSite => new()
    {
        { Evil, null },                       // another site's page
        { Evil, "cross-site" },
        { "null", null },                     // a sandboxed frame or a data: page
        { "http://sub.127.0.0.1.nip.io", "same-site" },
        { null, "cross-site" },               // a browser that sent no Origin
        { null, "same-site" },
        { null, null },                       // nothing tells where it came from
    };

    [Theory]
    [MemberData(nameof(CrossSite))]
    public async Task CookieMutation_FromAnotherSite_IsRefused_AndChangesNothing(string? origin, string? fetchSite)
    {
        var (cookie, _, token) = await SignInAsync($"csrf-{Guid.NewGuid():N}");
        var provider = $"csrf-{Guid.NewGuid():N}"[..20];
        using var response = await _http.SendAsync(Request(HttpMethod.Post, "graphql", cookie: cookie, origin: origin, fetchSite: fetchSite, graphql: Mutation(provider)));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("FORBIDDEN", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]![0]!["extensions"]!["code"]!.GetValue<string>());
        Assert.False(await ProviderExistsAsync(token, provider));
    }

    [Fact]
    public async Task CookieMutation_FromTheSameOrigin_ByOriginOrFetchMetadata_Acts()
    {
        var (cookie, _, token) = await SignInAsync("same-origin");
        using (var byOrigin = await _http.SendAsync(Request(HttpMethod.Post, "graphql", cookie: cookie, origin: Own, fetchSite: "same-origin", graphql: Mutation("same-1"))))
            Assert.Equal(HttpStatusCode.OK, byOrigin.StatusCode);
        using (var byFetchSite = await _http.SendAsync(Request(HttpMethod.Post, "graphql", cookie: cookie, fetchSite: "same-origin", graphql: Mutation("same-2"))))
            Assert.Equal(HttpStatusCode.OK, byFetchSite.StatusCode);
        Assert.True(await ProviderExistsAsync(token, "same-1"));
        Assert.True(await ProviderExistsAsync(token, "same-2"));
    }

    [Fact]
    public async Task BearerMutation_FromAnywhere_IsUnaffected_EvenWithACookieBeside_It()
    {
        var (cookie, _, _) = await SignInAsync("bearer-beside");
        var token = await silo.TokenAsync("bearer-only");
        using (var evil = await _http.SendAsync(Request(HttpMethod.Post, "graphql", bearer: token, origin: Evil, fetchSite: "cross-site", graphql: Mutation("by-bearer"))))
            Assert.Equal(HttpStatusCode.OK, evil.StatusCode);
        Assert.True(await ProviderExistsAsync(token, "by-bearer"));
        // The header decides alone: a bad token beside a good cookie is 401, never the cookie's caller.
        using var bad = await _http.SendAsync(Request(HttpMethod.Post, "graphql", cookie: cookie, bearer: "not-a-token", origin: Own, graphql: Mutation("by-bad-bearer")));
        Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
    }

    [Fact]
    public async Task TheSession_HoldsOnEverySiloOfTheDatabase_AndSigningOutOnOneEndsItOnAll()
    {
        var (cookie, _, _) = await SignInAsync("two-silos");
        await using var second = await SiloProcess.StartAsync(silo.Database.ConnectionString);
        using (var there = await _http.SendAsync(Request(HttpMethod.Get, new Uri(second.Base, "auth/me").ToString(), cookie: cookie)))
        {
            Assert.Equal(HttpStatusCode.OK, there.StatusCode);
            Assert.Equal("two-silos", JsonNode.Parse(await there.Content.ReadAsStringAsync())!["sub"]!.GetValue<string>());
        }
        using (var signOut = await _http.SendAsync(Request(HttpMethod.Delete, new Uri(second.Base, "auth/session").ToString(), cookie: cookie,
                   origin: second.Base.GetLeftPart(UriPartial.Authority))))
            Assert.Equal(HttpStatusCode.NoContent, signOut.StatusCode);
        using var here = await _http.SendAsync(Request(HttpMethod.Get, "auth/me", cookie: cookie));
        Assert.Equal(HttpStatusCode.Unauthorized, here.StatusCode);
    }

    [Fact]
    public async Task ASession_DuringAPostgresOutage_Is503WithRetryAfter_NotASignOut_AndHoldsAfterwards()
    {
        var (proxy, throughProxy) = TcpProxy.Before(silo.Database.ConnectionString);
        await using var _ = proxy;
        await using var cut = await SiloProcess.StartAsync(throughProxy);
        var token = await silo.TokenAsync("outage");
        string cookie;
        using (var signIn = await _http.SendAsync(Request(HttpMethod.Post, new Uri(cut.Base, "auth/session").ToString(), bearer: token,
                   origin: cut.Base.GetLeftPart(UriPartial.Authority))))
        {
            Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
            cookie = signIn.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
        }
        proxy.Cut();
        using (var during = await _http.SendAsync(Request(HttpMethod.Get, new Uri(cut.Base, "auth/me").ToString(), cookie: cookie)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, during.StatusCode);
            Assert.Equal("5", during.Headers.GetValues("Retry-After").Single());
            var body = await during.Content.ReadAsStringAsync();
            Assert.Contains("STORAGE_UNAVAILABLE", body);
            Assert.DoesNotContain("Npgsql", body);
        }
        proxy.Restore();
        await SiloHttp.UntilAsync(async () =>
        {
            using var after = await _http.SendAsync(Request(HttpMethod.Get, new Uri(cut.Base, "auth/me").ToString(), cookie: cookie));
            return after.StatusCode == HttpStatusCode.OK;
        }, TimeSpan.FromSeconds(60), "the session answers again once PostgreSQL is back", () => cut.Log);
    }

    [Fact]
    public async Task CookieExport_FromAnotherSite_IsRefused_FromTheApp_Streams()
    {
        var (cookie, _, _) = await SignInAsync("export-csrf");
        var period = DateTime.UtcNow.ToString("yyyy-MM");
        using (var crossSite = await _http.SendAsync(Request(HttpMethod.Get, $"exports/rows?period={period}", cookie: cookie, fetchSite: "cross-site")))
            Assert.Equal(HttpStatusCode.Forbidden, crossSite.StatusCode);
        using var own = await _http.SendAsync(Request(HttpMethod.Get, $"exports/rows?period={period}", cookie: cookie, fetchSite: "same-origin"));
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.StartsWith("text/csv", own.Content.Headers.ContentType!.ToString());
    }

    [Fact]
    public async Task WebSocket_FromAForeignOrigin_IsRefusedWith403_BeforeTheHandshake()
    {
        var (cookie, _, _) = await SignInAsync("ws-evil");
        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("graphql-transport-ws");
        socket.Options.SetRequestHeader("Origin", Evil);
        socket.Options.SetRequestHeader("Cookie", cookie);
        socket.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(WebSocketUri, CancellationToken.None));
        Assert.Equal(HttpStatusCode.Forbidden, socket.HttpStatusCode);
    }

    [Fact]
    public async Task WebSocket_FromTheOwnOrigin_ActsWithTheSessionCookie()
    {
        var (cookie, _, _) = await SignInAsync("ws-cookie");
        using var socket = await ConnectAsync(cookie, Own);
        Assert.Equal("connection_ack", await InitAsync(socket));
        await SendAsync(socket, """{"id":"1","type":"subscribe","payload":{"query":"{ providers { id } }"}}""");
        var next = JsonNode.Parse(await ReceiveAsync(socket))!;
        Assert.Equal("next", next["type"]!.GetValue<string>());
        Assert.NotNull(next["payload"]!["data"]!["providers"]);
    }

    [Fact]
    public async Task WebSockets_BeyondTheIdentitysLimit_AreClosedWith4429()
    {
        var (cookie, _, _) = await SignInAsync("ws-limit");
        var open = new List<ClientWebSocket>();
        try
        {
            for (var i = 0; i < WebSecuritySilo.SocketsPerIdentity; i++)
            {
                open.Add(await ConnectAsync(cookie, Own));
                Assert.Equal("connection_ack", await InitAsync(open[^1]));
            }
            using var extra = await ConnectAsync(cookie, Own);
            Assert.Equal("close", await InitAsync(extra));
            Assert.Equal(4429, (int)extra.CloseStatus!);
            // Another identity is not affected.
            var (other, _, _) = await SignInAsync("ws-limit-other");
            using var theirs = await ConnectAsync(other, Own);
            Assert.Equal("connection_ack", await InitAsync(theirs));
        }
        finally
        {
            foreach (var s in open) s.Dispose();
        }
    }

    [Fact]
    public async Task WebSockets_BeyondTheClientAddresssLimit_AreRefusedWith429_WhateverTheIdentity()
    {
        await NoSocketsOpenAsync();
        var open = new List<ClientWebSocket>();
        try
        {
            // One identity each, so only the address's limit can refuse.
            for (var i = 0; i < WebSecuritySilo.SocketsPerClient; i++)
            {
                var (cookie, _, _) = await SignInAsync($"ws-address-{i}");
                open.Add(await ConnectAsync(cookie, Own));
                Assert.Equal("connection_ack", await InitAsync(open[^1]));
            }
            var (fresh, _, _) = await SignInAsync("ws-address-extra");
            using var refused = new ClientWebSocket();
            refused.Options.AddSubProtocol("graphql-transport-ws");
            refused.Options.SetRequestHeader("Origin", Own);
            refused.Options.SetRequestHeader("Cookie", fresh);
            refused.Options.CollectHttpResponseDetails = true;
            await Assert.ThrowsAsync<WebSocketException>(() => refused.ConnectAsync(WebSocketUri, CancellationToken.None));
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.HttpStatusCode);
            Assert.Equal("5", Assert.Single(refused.HttpResponseHeaders!["Retry-After"]));

            // A socket that closes gives its place back.
            await open[0].CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
            open[0].Dispose();
            open.RemoveAt(0);
            await NoMoreThanAsync(WebSecuritySilo.SocketsPerClient - 1);
            using var again = await ConnectAsync(fresh, Own);
            Assert.Equal("connection_ack", await InitAsync(again));
        }
        finally
        {
            foreach (var s in open) s.Dispose();
        }
    }

    [Fact]
    public async Task AnOpenWebSocket_IsClosedWith4403_OnceItsSessionIsSignedOut()
    {
        var (cookie, _, _) = await SignInAsync("ws-sign-out");
        using var socket = await ConnectAsync(cookie, Own);
        Assert.Equal("connection_ack", await InitAsync(socket));
        using (var signedOut = await _http.SendAsync(Request(HttpMethod.Delete, "auth/session", cookie: cookie, origin: Own)))
            Assert.Equal(HttpStatusCode.NoContent, signedOut.StatusCode);
        // Within the recheck interval (1 s here); pings may come first.
        await UntilClosedAsync(socket);
        Assert.Equal(4403, (int)socket.CloseStatus!);
    }

    /// <summary>Reads (pings, say) until the server closes the socket, for at most 30 s.</summary>
    private async Task UntilClosedAsync(ClientWebSocket socket)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await ReceiveAsync(socket) != "close")
            Assert.True(DateTime.UtcNow < deadline, "the socket is still open 30 s on; the silo's log:\n" + silo.Log[^Math.Min(silo.Log.Length, 4000)..]);
    }

    [Fact]
    public async Task AnOpenWebSocket_IsClosedWith4403_WhenItsTokenExpires()
    {
        // Expired 27 s ago: accepted within the silo's 30 s clock skew, refused 3 s from now.
        var token = await TestTokens.MintAsync(silo.Database.ConnectionString,
            new TokenRequest { Org = WebSecuritySilo.Org, Subject = "ws-expiring", Roles = ["admin"], Ttl = TimeSpan.FromSeconds(-27) });
        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("graphql-transport-ws");
        await socket.ConnectAsync(WebSocketUri, CancellationToken.None);
        await SendAsync(socket, JsonSerializer.Serialize(new { type = "connection_init", payload = new { authorization = $"Bearer {token}" } }));
        Assert.Equal("connection_ack", JsonNode.Parse(await ReceiveAsync(socket))!["type"]!.GetValue<string>());
        await UntilClosedAsync(socket);
        Assert.Equal(4403, (int)socket.CloseStatus!);
    }

    /// <summary>Waits (bounded) until this silo holds no open WebSocket, so an address limit counts only this test's.</summary>
    private Task NoSocketsOpenAsync() => NoMoreThanAsync(0);

    private async Task NoMoreThanAsync(int sockets)
    {
        var ops = await silo.TokenAsync("ws-ops", "ops");
        for (var deadline = DateTime.UtcNow.AddSeconds(20); ; await Task.Delay(100))
        {
            using var response = await _http.SendAsync(Request(HttpMethod.Get, "metrics/subscriptions", bearer: ops));
            var open = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["webSocket"]!["connections"]!.GetValue<long>();
            if (open <= sockets) return;
            Assert.True(DateTime.UtcNow < deadline, $"{open} WebSockets still open; expected at most {sockets}");
        }
    }

    [Fact]
    public async Task Requests_BeyondTheIdentitysRateLimit_Get429WithRetryAfter_OthersDoNot()
    {
        var token = await silo.TokenAsync("rate-limited");
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? refused = null;
        for (var i = 0; i <= WebSecuritySilo.Permits && refused is null; i++)
        {
            var response = await _http.SendAsync(Request(HttpMethod.Post, "graphql", bearer: token, graphql: new { query = "{ __typename }" }));
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests) refused = response;
            else response.Dispose();
        }
        Assert.NotNull(refused);
        using (refused)
        {
            Assert.Equal(WebSecuritySilo.Permits, statuses.Count(s => s == HttpStatusCode.OK));
            Assert.InRange(refused!.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 3600);
            Assert.Equal("RATE_LIMITED", JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["errors"]![0]!["extensions"]!["code"]!.GetValue<string>());
        }
        // The same org, another subject: its own allowance. Health probes are never limited.
        using var other = await _http.SendAsync(Request(HttpMethod.Post, "graphql", bearer: await silo.TokenAsync("rate-other"), graphql: new { query = "{ __typename }" }));
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        using var health = await _http.SendAsync(Request(HttpMethod.Get, "healthz"));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task EveryResponse_CarriesSecurityHeaders_AndNoServerHeader()
    {
        var (ops, _, _) = await SignInAsync("headers-ops", "ops");
        var requests = new List<HttpRequestMessage>
        {
            Request(HttpMethod.Get, "healthz"),
            Request(HttpMethod.Post, "graphql", graphql: new { query = "{ __typename }" }),   // 401
            Request(HttpMethod.Get, "auth/me", cookie: ops),
            Request(HttpMethod.Get, "dashboard/", cookie: ops),
            Request(HttpMethod.Get, "no-such-page"),
        };
        var ide = Request(HttpMethod.Get, "graphql");
        ide.Headers.Accept.ParseAdd("text/html");
        requests.Add(ide);
        requests.Add(Request(HttpMethod.Get, "graphiql/start.js"));
        foreach (var request in requests)
        {
            var what = $"{request.Method} {request.RequestUri!.PathAndQuery}";
            using var response = await _http.SendAsync(request);
            Assert.False(response.Headers.Contains("Server"), $"{what}: Server header");
            Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
            Assert.Equal("DENY", Header(response, "X-Frame-Options"));
            Assert.Equal("same-origin", Header(response, "Referrer-Policy"));
            var csp = Header(response, "Content-Security-Policy");
            Assert.True(csp?.Contains("frame-ancestors 'none'") == true && csp.Contains("default-src 'self'") && !csp.Contains("unsafe-eval"), $"{what}: CSP {csp}");
        }
    }

    [Fact]
    public async Task Dashboard_IsForOps_ByTokenOrSession()
    {
        var (ops, _, _) = await SignInAsync("dash-ops", "ops");
        var (admin, _, _) = await SignInAsync("dash-admin", "admin");
        using (var anonymous = await _http.SendAsync(Request(HttpMethod.Get, "dashboard/")))
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using (var notOps = await _http.SendAsync(Request(HttpMethod.Get, "dashboard/", cookie: admin)))
            Assert.Equal(HttpStatusCode.Forbidden, notOps.StatusCode);
        using var page = await _http.SendAsync(Request(HttpMethod.Get, "dashboard/", cookie: ops));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Orleans Dashboard", await page.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task NoTokenReachesTheLog()
    {
        var (_, _, token) = await SignInAsync("log-check");
        using (await _http.SendAsync(Request(HttpMethod.Post, "graphql", bearer: token + "x", graphql: new { query = "{ __typename }" }))) { }
        var signature = token.Split('.')[2];
        Assert.DoesNotContain(signature, silo.Log);
    }

    [Theory]
    [InlineData("Flowstate__Web__RateLimits__PermitsPerWindow", "0", "Flowstate:Web:RateLimits:PermitsPerWindow")]
    [InlineData("Flowstate__Web__AllowedOrigins__0", "evil.example/x", "Flowstate:Web:AllowedOrigins")]
    [InlineData("Flowstate__WebSocket__MaxSubscriptionsPerConnection", "0", "Flowstate:WebSocket:MaxSubscriptionsPerConnection")]
    [InlineData("Flowstate__Subscriptions__ReplayPage", "0", "Flowstate:Subscriptions:ReplayPage")]
    public async Task ABadSetting_StopsTheSiloAtStart_NamingIt(string variable, string value, string named)
    {
        var start = new ProcessStartInfo("dotnet", $"\"{SiloBinary.Path}\" serve")
        {
            WorkingDirectory = Path.GetDirectoryName(SiloBinary.Path)!, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        start.Environment["FLOWSTATE_DB"] = silo.Database.ConnectionString;
        start.Environment["FLOWSTATE_HTTP"] = "http://127.0.0.1:1";   // never bound: it stops before listening
        start.Environment["FLOWSTATE_DEMO"] = "0";
        start.Environment[variable] = value;
        foreach (var (name, v) in TestTokens.SiloEnvironment) start.Environment[name] = v;
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try { await process.WaitForExitAsync(bound.Token); }
        finally { if (!process.HasExited) process.Kill(entireProcessTree: true); }
        Assert.Equal(2, process.ExitCode);
        Assert.Contains(named, await stderr + await stdout);
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values) ? string.Join(", ", values) : null;

    private Uri WebSocketUri => new($"ws://{silo.Base.Authority}/graphql");

    private async Task<ClientWebSocket> ConnectAsync(string cookie, string origin)
    {
        var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("graphql-transport-ws");
        socket.Options.SetRequestHeader("Origin", origin);
        socket.Options.SetRequestHeader("Cookie", cookie);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await socket.ConnectAsync(WebSocketUri, timeout.Token);
        return socket;
    }

    /// <summary>Sends connection_init without a payload (the cookie authenticates); the answer's type, or "close".</summary>
    private static async Task<string> InitAsync(ClientWebSocket socket)
    {
        await SendAsync(socket, """{"type":"connection_init"}""");
        var answer = await ReceiveAsync(socket);
        return answer == "close" ? answer : JsonNode.Parse(answer)!["type"]!.GetValue<string>();
    }

    private static Task SendAsync(ClientWebSocket socket, string text) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    private static async Task<string> ReceiveAsync(ClientWebSocket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        WebSocketReceiveResult received;
        do
        {
            received = await socket.ReceiveAsync(buffer, timeout.Token);
            if (received.MessageType == WebSocketMessageType.Close) return "close";
            message.Write(buffer, 0, received.Count);
        } while (!received.EndOfMessage);
        return Encoding.UTF8.GetString(message.ToArray());
    }
}
