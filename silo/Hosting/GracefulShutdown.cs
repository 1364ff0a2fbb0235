using Microsoft.AspNetCore.Hosting.Server;

namespace Flowstate.Silo.Hosting;

/// <summary>
/// Orders a graceful stop (SIGTERM, Ctrl-C): the web server first, then the silo. The host stops
/// its services in reverse order of registration, and Orleans registers after the web server, so
/// without this the silo would leave the cluster under requests still in flight. Registered after
/// Orleans, this stops first: Kestrel accepts nothing new and waits for the requests it has (up
/// to the host's shutdown timeout, <c>Flowstate:ShutdownSeconds</c>); WebSocket clients have
/// already been told to go (1001) and <c>/readyz</c> answers 503. Then Orleans deactivates the
/// grains and marks the silo dead in the membership table. Stopping Kestrel again later is a no-op.
/// </summary>
internal sealed class GracefulShutdown(IServer server, ILogger<GracefulShutdown> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        logger.LogInformation("Draining HTTP requests before the silo leaves the cluster");
        await server.StopAsync(cancellationToken);
    }
}
