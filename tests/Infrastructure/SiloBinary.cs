using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Flowstate.Silo.Hosting;

namespace Flowstate.Tests.Infrastructure;

/// <summary>The real silo binary for tests that run it as processes, and free ports to run it on.</summary>
public static class SiloBinary
{
    /// <summary>The silo built beside this test assembly (same configuration).</summary>
    public static string Path { get; } = Find();

    private static string Find()
    {
        var here = AppContext.BaseDirectory; // tests/bin/<Config>/net10.0/
        var config = new DirectoryInfo(here).Parent!.Name;
        for (var dir = new DirectoryInfo(here); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "silo", "bin", config, "net10.0", "Flowstate.Silo.dll");
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException("Build the solution first: silo/bin/<Config>/net10.0/Flowstate.Silo.dll not found.");
    }

    /// <summary>
    /// A cluster of <paramref name="silos"/> processes of this build on free ports, signing with the
    /// test key, replaying the journal after 2 s, writing every line to <paramref name="log"/>, with
    /// <paramref name="settings"/> on top.
    /// </summary>
    public static LocalCluster Cluster(string database, string clusterId, int silos, ConcurrentQueue<string>? log = null,
        IReadOnlyDictionary<string, string>? settings = null)
    {
        var (http, silo, gateway) = FreePortBases(silos);
        var url = new Uri($"http://127.0.0.1:{http}");
        // 10 PostgreSQL connections a silo (production: 20): a three-silo test beside the other test collections
        // stays well inside the 100 connections CI's PostgreSQL allows; a silo that cannot connect at start dies.
        var environment = new Dictionary<string, string>(TestTokens.SiloEnvironment)
        {
            ["Flowstate__ReplayAfterSeconds"] = "2", ["FLOWSTATE_DB_MAX_CONNECTIONS"] = "10",
        };
        foreach (var (name, value) in settings ?? new Dictionary<string, string>()) environment[name] = value;
        return new LocalCluster(new LocalClusterOptions
        {
            Database = database, Http = url, SiloPort = silo, GatewayPort = gateway, ClusterId = clusterId, SiloDll = Path,
            Output = log is null ? null : (i, line) => log.Enqueue(silos == 1 ? line : $"[silo {i}] {line}"),
            Environment = environment,
        }, silos);
    }

    /// <summary>Bases for HTTP, silo and gateway ports such that base … base + count - 1 of each are free on 127.0.0.1.</summary>
    public static (int Http, int Silo, int Gateway) FreePortBases(int count)
    {
        int Pick(int from, int to)
        {
            for (var attempt = 0; attempt < 200; attempt++)
            {
                var port = Random.Shared.Next(from, to);
                if (Enumerable.Range(port, count).All(IsFree)) return port;
            }
            throw new InvalidOperationException($"No {count} free ports in a row between {from} and {to}.");
        }
        return (Pick(6000, 9000), Pick(12000, 19000), Pick(31000, 39000));
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException) { return false; }
    }
}
