using Flowstate.Silo.Options;

namespace Flowstate.Tests.Unit;

public sealed class WebOptionsTests
{
    [Theory]
    [InlineData("https://Flowstate.Example", "https://flowstate.example")]
    [InlineData("https://flowstate.example:443", "https://flowstate.example")]
    [InlineData("http://127.0.0.1:5080/", "http://127.0.0.1:5080")]
    [InlineData("null", null)]
    [InlineData("https://flowstate.example/app", null)]
    [InlineData("ftp://flowstate.example", null)]
    [InlineData("https://user@flowstate.example", null)]
    [InlineData("", null)]
    public void Origins_NormaliseAsBrowsersSendThem(string text, string? origin) => Assert.Equal(origin, WebOptions.Normalise(text));

    [Fact]
    public void TheDefaults_AreValid() =>
        Assert.Empty(new WebOptions().Problems().Concat(new WebSocketSettings().Problems()));

    [Fact]
    public void BadSettings_AreEachNamed()
    {
        var web = new WebOptions
        {
            AllowedOrigins = ["https://ok.example", "evil.example/path"],
            RateLimits = new RateLimitOptions { PermitsPerWindow = 0, WindowSeconds = 0, WebSocketsPerIdentity = 0, WebSocketsPerClient = -1 },
        };
        var problems = web.Problems().ToList();
        Assert.Equal(5, problems.Count);
        Assert.Contains(problems, p => p.Contains("AllowedOrigins") && p.Contains("evil.example/path"));
        foreach (var setting in new[] { "PermitsPerWindow", "WindowSeconds", "WebSocketsPerIdentity", "WebSocketsPerClient" })
            Assert.Contains(problems, p => p.StartsWith($"Flowstate:Web:RateLimits:{setting} "));

        var socket = new WebSocketSettings { ConnectionInitTimeout = TimeSpan.Zero, KeepAlive = TimeSpan.FromSeconds(-1), MaxMessageBytes = 10, MaxSubscriptionsPerConnection = 0, MaxQueuedMessages = 0, MaxQueuedBytes = 1 };
        Assert.Equal(6, socket.Problems().Count());
        Assert.All(socket.Problems(), p => Assert.StartsWith("Flowstate:WebSocket:", p));
    }

    [Fact]
    public void WebSocketSettings_ReachTheTransport()
    {
        var applied = new WebSocketSettings { KeepAlive = TimeSpan.Zero, MaxQueuedMessages = 7 }.ApplyTo(new Flowstate.GraphQL.Transport.GraphQLWebSocketOptions());
        Assert.Equal((TimeSpan.Zero, 7), (applied.KeepAlive, applied.MaxQueuedMessages));
    }
}

public sealed class OriginPolicyTests
{
    private static readonly Flowstate.Silo.Hosting.OriginPolicy Policy = new(
        Microsoft.Extensions.Options.Options.Create(new WebOptions { AllowedOrigins = ["https://app.example"] }),
        new FlowstateOptions { Http = "http://127.0.0.1:5080" });

    private static Microsoft.AspNetCore.Http.HttpRequest Request(string host, string method = "POST", string? origin = null, string? site = null, bool cookie = false)
    {
        var http = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        http.Request.Method = method;
        http.Request.Scheme = "http";
        http.Request.Host = new Microsoft.AspNetCore.Http.HostString(host);
        if (origin is not null) http.Request.Headers.Origin = origin;
        if (site is not null) http.Request.Headers["Sec-Fetch-Site"] = site;
        if (cookie) http.Request.Headers.Cookie = Flowstate.Silo.Identity.BrowserSession.CookieName + "=x";
        return http.Request;
    }

    [Theory]
    [InlineData("127.0.0.1:5080", "http://127.0.0.1:5080", true)]            // the listen URL
    [InlineData("silo.internal:8080", "https://app.example", true)]          // configured
    [InlineData("flowstate.example", "https://flowstate.example", true)]     // behind a TLS proxy that keeps Host
    [InlineData("localhost:5080", "http://localhost:5080", true)]            // the host the browser addressed
    [InlineData("127.0.0.1:5080", "http://127.0.0.1:5081", false)]           // another port: another origin
    [InlineData("127.0.0.1:5080", "http://evil.example", false)]
    [InlineData("127.0.0.1:5080", "null", false)]
    [InlineData("flowstate.example", "https://flowstate.example.evil.example", false)]
    public void Origins(string host, string origin, bool allowed) => Assert.Equal(allowed, Policy.IsAllowed(Request(host), origin));

    [Theory]
    [InlineData("POST", null, "same-origin", true, false)]
    [InlineData("POST", null, null, true, true)]           // a state change with the cookie and no proof of origin
    [InlineData("POST", null, null, false, false)]         // no cookie: nothing to forge
    [InlineData("GET", null, null, true, false)]
    [InlineData("GET", null, "cross-site", true, true)]
    [InlineData("GET", null, "none", true, false)]         // typed into the address bar
    [InlineData("DELETE", "http://127.0.0.1:5080", null, true, false)]
    [InlineData("DELETE", "http://evil.example", "same-origin", true, true)]
    public void CrossSite(string method, string? origin, string? site, bool cookie, bool refused) =>
        Assert.Equal(refused, Policy.IsCrossSite(Request("127.0.0.1:5080", method, origin, site, cookie)));
}
