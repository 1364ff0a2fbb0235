using System.Net;
using System.Net.Sockets;
using Flowstate.Tests.Infrastructure;

namespace Flowstate.Tests.Integration;

/// <summary>A cluster that cannot start leaves no silo process behind, and says why the failed one died.</summary>
[Collection(ProcessCollection.Name)]
public sealed class LocalClusterStartTests : FreshDatabaseTests
{
    [Fact]
    public async Task WhenOneSiloCannotStart_TheOthersAreStopped_AndTheErrorCarriesItsLastLines()
    {
        await using var cluster = SiloBinary.Cluster(Db.ConnectionString, "start-tests", 2);
        // Silo 1's HTTP port is taken, so it stops at start while silo 0 is already up.
        using var squatter = new TcpListener(IPAddress.Loopback, cluster.Silos[1].Url.Port);
        squatter.Start();

        var error = await Assert.ThrowsAnyAsync<Exception>(() => cluster.StartAsync(TimeSpan.FromSeconds(120)));

        Assert.Contains("silo1", error.Message);
        Assert.Contains("address already in use", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.All(cluster.Silos, s => Assert.False(s.IsRunning, $"{s.Name} was left running"));
    }
}
