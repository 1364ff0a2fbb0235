using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Flowstate.Silo.Hosting;

/// <summary>Where and how the silos of a <see cref="LocalCluster"/> run.</summary>
public sealed record LocalClusterOptions
{
    /// <summary>Connection string of the one database every silo shares (schema applied).</summary>
    public required string Database { get; init; }

    /// <summary>Silo 0's listen URL; silo i listens on its port + i.</summary>
    public Uri Http { get; init; } = new("http://127.0.0.1:5080");

    /// <summary>Silo 0's silo-to-silo and gateway ports; silo i uses each + i.</summary>
    public int SiloPort { get; init; } = 11111;
    public int GatewayPort { get; init; } = 30000;

    public string ClusterId { get; init; } = "flowstate";

    /// <summary>Load the demo org (silo 0 only, and only into an empty database).</summary>
    public bool Demo { get; init; }

    /// <summary>
    /// Membership probe period and timeout in seconds. Orleans' default (5 s, three missed probes)
    /// suits a data centre; on one machine a dead silo is certain sooner, so it is declared dead
    /// after about three times this.
    /// </summary>
    public int ProbeSeconds { get; init; } = 2;

    /// <summary>The silo binary (Flowstate.Silo.dll); by default this one.</summary>
    public string SiloDll { get; init; } = typeof(LocalCluster).Assembly.Location;

    /// <summary>Further environment variables for every silo.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Receives every line a silo writes (silo index, line); null drops them.</summary>
    public Action<int, string>? Output { get; init; }
}

/// <summary>
/// N Flowstate silo processes on one machine and one database, in one Orleans cluster through
/// ADO.NET membership: what <c>./flowstate cluster N</c> runs, and what the cluster tests and
/// benchmarks start, kill and restart.
/// </summary>
public sealed class LocalCluster(LocalClusterOptions options, int count) : IAsyncDisposable
{
    public IReadOnlyList<LocalSilo> Silos { get; } = Enumerable.Range(0, count).Select(i => new LocalSilo(options, i)).ToList();

    /// <summary>
    /// Starts every silo (silo 0 first, so the demo loads once) and waits until each is ready. If one
    /// fails, the others are killed before the error is thrown: a caller that never got a cluster
    /// never has to stop one (no orphaned silo processes).
    /// </summary>
    public async Task StartAsync(TimeSpan? timeout = null, CancellationToken ct = default)
    {
        var wait = timeout ?? TimeSpan.FromSeconds(90);
        try
        {
            await Silos[0].StartAsync(wait, ct);
            await Task.WhenAll(Silos.Skip(1).Select(s => s.StartAsync(wait, ct)));
        }
        catch
        {
            foreach (var silo in Silos) silo.Kill();
            await Task.WhenAll(Silos.Select(s => s.Exited));
            throw;
        }
    }

    /// <summary>Stops every running silo gracefully (SIGTERM), at once; kills what is still running after <paramref name="grace"/>.</summary>
    public Task StopAsync(TimeSpan? grace = null) => Task.WhenAll(Silos.Where(s => s.IsRunning).Select(s => s.StopAsync(grace)));

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(20));
        foreach (var silo in Silos) silo.Dispose();
    }

    /// <summary>
    /// The <c>cluster</c> verb: starts the silos, prints their URLs, restarts a silo that dies (as
    /// Kubernetes would, so it rejoins), and stops them all gracefully on Ctrl-C or SIGTERM.
    /// </summary>
    public static async Task<int> RunAsync(LocalClusterOptions options, int count, TimeSpan grace)
    {
        using var stop = new CancellationTokenSource();
        void OnSignal(PosixSignalContext ctx) { ctx.Cancel = true; stop.Cancel(); }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        var say = (string line) => Console.WriteLine($"[cluster] {line}");
        await using var cluster = new LocalCluster(options with { Output = options.Output ?? ((i, line) => Console.WriteLine($"[silo {i}] {line}")) }, count);
        try { await cluster.StartAsync(ct: stop.Token); }
        catch (OperationCanceledException) { say("stopping"); return 130; }
        catch (Exception e) { say($"could not start: {e.Message}"); return 1; }
        foreach (var silo in cluster.Silos)
            say($"silo {silo.Index} (pid {silo.Pid}): {silo.Url}graphql  {silo.Url}dashboard/  {silo.Url}readyz  silo port {silo.SiloPort}, gateway {silo.GatewayPort}");
        say($"{count} silos in cluster '{options.ClusterId}'. Kill one (kill -9 <pid>) and the others carry on; it restarts and rejoins. Ctrl-C stops them all.");

        while (!stop.IsCancellationRequested)
        {
            var exited = cluster.Silos.Select(s => s.Exited).ToList();
            try { await Task.WhenAny(exited).WaitAsync(stop.Token); }
            catch (OperationCanceledException) { break; }
            foreach (var silo in cluster.Silos.Where(s => !s.IsRunning))
            {
                say($"silo {silo.Index} exited with code {silo.ExitCode}; restarting it in 3 s");
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(3), stop.Token);
                    await silo.StartAsync(TimeSpan.FromSeconds(90), stop.Token);
                    say($"silo {silo.Index} is back (pid {silo.Pid}): {silo.Url}");
                }
                catch (OperationCanceledException) { break; }
                catch (Exception e) { say($"silo {silo.Index} did not come back: {e.Message}"); }
            }
        }
        say("stopping every silo (in-flight requests drain, grains deactivate, each leaves the membership table)");
        await cluster.StopAsync(grace);
        foreach (var silo in cluster.Silos) say($"silo {silo.Index} exited with code {silo.ExitCode}");
        return 0;
    }
}

/// <summary>One silo process of a <see cref="LocalCluster"/>: started, stopped gracefully, killed and started again on the same ports.</summary>
public sealed class LocalSilo : IDisposable
{
    private readonly LocalClusterOptions _options;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(2) };
    private Process? _process;
    /// <summary>The last lines the current process wrote, for the message when it dies before it is ready.</summary>
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _tail = new();
    private const int TailLines = 60;
    private TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal LocalSilo(LocalClusterOptions options, int index)
    {
        _options = options;
        Index = index;
        Url = new UriBuilder(options.Http) { Port = options.Http.Port + index, Path = "/" }.Uri;
        SiloPort = options.SiloPort + index;
        GatewayPort = options.GatewayPort + index;
    }

    public int Index { get; }
    public Uri Url { get; }
    public int SiloPort { get; }
    public int GatewayPort { get; }
    public string Name => $"silo{Index}";
    public int? Pid => _process?.Id;
    public bool IsRunning => _process is { HasExited: false };
    public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

    /// <summary>Completes when the current process exits (completed already when none runs).</summary>
    public Task Exited => _process is null ? Task.CompletedTask : _exited.Task;

    /// <summary>Starts the process and waits until <c>/readyz</c> answers 200.</summary>
    public async Task StartAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        if (IsRunning) throw new InvalidOperationException($"{Name} is already running.");
        // Forgotten before it is disposed: IsRunning, asked meanwhile from other threads, must not touch a disposed process.
        var previous = _process;
        _process = null;
        previous?.Dispose();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(_options.SiloDll);
        start.ArgumentList.Add("serve");
        var env = start.Environment;
        foreach (var (key, value) in _options.Environment) env[key] = value;
        env["FLOWSTATE_DB"] = _options.Database;
        env["FLOWSTATE_HTTP"] = Url.GetLeftPart(UriPartial.Authority);
        env["FLOWSTATE_DEMO"] = _options.Demo && Index == 0 ? "1" : "0";
        env["Flowstate__Clustering"] = "AdoNet";
        env["Flowstate__ClusterId"] = _options.ClusterId;
        env["Flowstate__SiloPort"] = SiloPort.ToString();
        env["Flowstate__GatewayPort"] = GatewayPort.ToString();
        env["Flowstate__SiloName"] = Name;
        env["Flowstate__MembershipProbeSeconds"] = _options.ProbeSeconds.ToString();
        _exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var exited = _exited;
        process.Exited += (_, _) => exited.TrySetResult();
        _tail.Clear();
        process.OutputDataReceived += (_, e) => Received(e.Data);
        process.ErrorDataReceived += (_, e) => Received(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        await WaitReadyAsync(timeout, ct);
    }

    private void Received(string? line)
    {
        if (line is null) return;
        _tail.Enqueue(line);
        while (_tail.Count > TailLines) _tail.TryDequeue(out _);
        _options.Output?.Invoke(Index, line);
    }

    /// <summary>Waits until this silo's <c>/readyz</c> answers 200 (storage reachable, cluster joined).</summary>
    public async Task WaitReadyAsync(TimeSpan timeout, CancellationToken ct = default)
    {
        for (var waited = Stopwatch.StartNew(); ; await Task.Delay(200, ct))
        {
            if (!IsRunning)
            {
                _process?.WaitForExit();  // drains the redirected output into the tail
                throw new InvalidOperationException($"{Name} exited with code {ExitCode} before it was ready. Its last lines:\n{string.Join('\n', _tail)}");
            }
            try
            {
                using var response = await _http.GetAsync(new Uri(Url, "readyz"), ct);
                if (response.IsSuccessStatusCode) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested) { }
            if (waited.Elapsed > timeout) throw new TimeoutException($"{Name} was not ready after {timeout.TotalSeconds:0} s. Its last lines:\n{string.Join('\n', _tail)}");
        }
    }

    /// <summary>SIGKILL: the process ends at once, with no chance to leave the cluster.</summary>
    public void Kill()
    {
        if (IsRunning) _process!.Kill(entireProcessTree: true);
    }

    /// <summary>SIGTERM, then waits for a graceful exit; kills it after <paramref name="grace"/> (default 45 s). Returns the exit code.</summary>
    public async Task<int> StopAsync(TimeSpan? grace = null)
    {
        if (_process is null) return 0;
        if (IsRunning && kill(_process.Id, Sigterm) != 0) _process.Kill(entireProcessTree: true);
        try { await _process.WaitForExitAsync().WaitAsync(grace ?? TimeSpan.FromSeconds(45)); }
        catch (TimeoutException) { Kill(); await _process.WaitForExitAsync(); }
        return _process.ExitCode;
    }

    public void Dispose()
    {
        Kill();
        _process?.Dispose();
        _http.Dispose();
    }

    private const int Sigterm = 15;

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
