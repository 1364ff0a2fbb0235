using System.Net;
using System.Net.Sockets;

namespace Flowstate.Tests.Infrastructure;

/// <summary>
/// A loopback TCP proxy in front of PostgreSQL, so a test can take "PostgreSQL" away from the silos
/// it started without stopping the server every other test uses. <see cref="Cut"/> drops every
/// open connection and closes each new one at once (what clients see of a stopped server);
/// <see cref="Restore"/> lets connections through again.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _host;
    private readonly int _port;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _open = [];
    private readonly Task _accepting;
    private volatile bool _cut;

    public TcpProxy(string host, int port)
    {
        (_host, _port) = (host, port);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>A proxy in front of the server of <paramref name="connectionString"/>, and that connection string through it.</summary>
    public static (TcpProxy Proxy, string ConnectionString) Before(string connectionString)
    {
        var b = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        var proxy = new TcpProxy(b.Host!, b.Port);
        b.Host = "127.0.0.1";
        b.Port = proxy.Port;
        return (proxy, b.ConnectionString);
    }

    public void Cut()
    {
        _cut = true;
        lock (_open)
        {
            foreach (var c in _open) c.Dispose();
            _open.Clear();
        }
    }

    public void Restore() => _cut = false;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) when (_stop.IsCancellationRequested) { return; }
            if (_cut) { client.Dispose(); continue; }
            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        var server = new TcpClient();
        try
        {
            await server.ConnectAsync(_host, _port, _stop.Token);
            lock (_open) { _open.Add(client); _open.Add(server); }
            if (_cut) { Cut(); return; }
            using var either = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            var up = client.GetStream().CopyToAsync(server.GetStream(), either.Token);
            var down = server.GetStream().CopyToAsync(client.GetStream(), either.Token);
            await Task.WhenAny(up, down);
            either.Cancel();
        }
        catch (Exception) { /* a cut or a closed peer ends the relay */ }
        finally
        {
            lock (_open) { _open.Remove(client); _open.Remove(server); }
            client.Dispose();
            server.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        Cut();
        try { await _accepting; } catch (OperationCanceledException) { }
        _stop.Dispose();
    }
}
