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
