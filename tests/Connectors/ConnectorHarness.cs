using Flowstate.Connectors;
using Flowstate.Connectors.Http;
using Flowstate.Demo.Sandbox;
using Flowstate.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Flowstate.Tests.Connectors;

/// <summary>
/// The real connectors with their real HTTP stack (IHttpClientFactory + resilience pipeline), in
/// front of a provider sandbox listening on loopback. Delays are short and rate limits off so the
/// tests run fast; the retry and timeout behaviour is the production pipeline's.
/// </summary>
public sealed class ConnectorHarness : IAsyncDisposable
{
    public static readonly DateTimeOffset Now = new(2026, 10, 20, 12, 0, 0, TimeSpan.Zero);
    public ProviderSandbox Sandbox { get; }
    public LogCapture Logs { get; } = new();
    public FixedTime Clock { get; } = new(Now);
    private readonly ServiceProvider _services;
    public ConnectorCatalog Connectors { get; }

    private ConnectorHarness(ProviderSandbox sandbox)
    {
        Sandbox = sandbox;
        _services = new ServiceCollection()
            .AddLogging(l => l.AddProvider(Logs).SetMinimumLevel(LogLevel.Trace))
            .AddSingleton<TimeProvider>(Clock)
            .AddConnectors(o =>
            {
                o.AttemptTimeout = TimeSpan.FromSeconds(1);
                o.TotalTimeout = TimeSpan.FromSeconds(20);
                o.RetryDelay = TimeSpan.FromMilliseconds(50);
                o.MaxRetries = 3;
                o.RequestsPerMinute.Clear();
            })
            .BuildServiceProvider();
        Connectors = _services.GetRequiredService<ConnectorCatalog>();
    }

    public static async Task<ConnectorHarness> StartAsync(SandboxData data) => new(await ProviderSandbox.StartAsync(data));

    public PullRequest Request(ConnectorKind kind, DateOnly from, DateOnly to, decimal seatFee = 0m, string? credential = null) => new(
        Sandbox.BaseUrl, credential ?? kind switch
        {
            ConnectorKind.OpenAi => Sandbox.Data.OpenAiKey,
            ConnectorKind.Anthropic => Sandbox.Data.AnthropicKey,
            ConnectorKind.Cursor => Sandbox.Data.CursorKey,
            _ => Sandbox.Data.GitHubToken,
        }, from, to, kind == ConnectorKind.GithubCopilot ? Sandbox.Data.CopilotOrg : null, seatFee);

    public Task<PullResult> PullAsync(ConnectorKind kind, DateOnly from, DateOnly to, decimal seatFee = 0m, string? credential = null) =>
        Connectors[kind].PullAsync(Request(kind, from, to, seatFee, credential));

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await Sandbox.DisposeAsync();
    }
}
