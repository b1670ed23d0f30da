using System.Net;
using System.Net.Sockets;
using Elastic.Worker.Cluster;

namespace Elastic.Worker.Tests.Cluster;

[Trait("Category", "Unit")]
public sealed class LoopbackPortsTests
{
    [Fact]
    public void Free_IsBelowTheEphemeralRange_ListenableAndNeverHandedOutTwice()
    {
        var ephemeralStart = LoopbackPorts.EphemeralStart();
        var ports = Enumerable.Range(0, 50).Select(_ => LoopbackPorts.Free()).ToList();

        Assert.Equal(ports.Count, ports.Distinct().Count());
        Assert.All(ports, port => Assert.InRange(port, 1024, ephemeralStart - 1));
        using var listener = new TcpListener(IPAddress.Loopback, ports[^1]);
        listener.Start();
        Assert.Equal(ports[^1], ((IPEndPoint)listener.LocalEndpoint).Port);
    }

    [Fact]
    public void Free_SkipsPortsSomethingListensOn()
    {
        // A window of 8 ports below the ephemeral range with all but one taken: the one left is what comes back,
        // wherever in the window the scan starts. (A window another process already uses is swapped for the next.)
        var held = new List<TcpListener>();
        try
        {
            var start = LoopbackPorts.EphemeralStart() - 4096 - (Random.Shared.Next(64) * 8);
            while (!TryHold(start, 7, held))
            {
                start -= 8;
            }

            Assert.Equal(start + 7, LoopbackPorts.Free(start, start + 8));
            // Handed out once: asked again, nothing in the window is left, so the kernel chooses.
            Assert.NotInRange(LoopbackPorts.Free(start, start + 8), start, start + 7);
        }
        finally
        {
            held.ForEach(l => l.Stop());
        }
    }

    [Fact]
    public void Free_NeverReturnsAReservedPort()
    {
        // A worker reserves the HTTP port it was given before its silo picks ports: a window of four free ports with
        // three reserved leaves one, or the kernel's choice outside the window.
        var start = LoopbackPorts.EphemeralStart() - 8192 - (Random.Shared.Next(256) * 4);
        for (var port = start; port < start + 3; port++)
        {
            LoopbackPorts.Reserve(port);
        }

        var picked = LoopbackPorts.Free(start, start + 4);

        Assert.NotInRange(picked, start, start + 2);
    }

    private static bool TryHold(int start, int count, List<TcpListener> held)
    {
        held.ForEach(l => l.Stop());
        held.Clear();
        try
        {
            for (var port = start; port < start + count; port++)
            {
                var listener = new TcpListener(IPAddress.Loopback, port);
                held.Add(listener);
                listener.Start();
            }

            // And the one left free must be free.
            var probe = new TcpListener(IPAddress.Loopback, start + count);
            probe.Start();
            probe.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
