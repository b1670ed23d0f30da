using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Elastic.Worker.Cluster;

/// <summary>
/// Free loopback ports for the processes of a cluster on one machine (silo, Orleans gateway, HTTP, redis). They are
/// picked below the kernel's ephemeral range: a port the kernel hands out for a listener on port 0 is one it also hands
/// to outgoing connections, so between picking it and the server binding it, a client socket (redis, HTTP, Orleans)
/// could take it. A port is handed out once per process.
/// </summary>
public static class LoopbackPorts
{
    private const int DefaultEphemeralStart = 32768;
    private const int Span = 16384;
    private static readonly Lock Gate = new();
    private static readonly HashSet<int> HandedOut = [];

    /// <summary>A loopback TCP port nothing listens on now, from below the ephemeral range, not handed out before here.</summary>
    public static int Free()
    {
        var end = EphemeralStart();
        return Free(Math.Max(1024, end - Span), end);
    }

    /// <summary>
    /// Marks a port this process will listen on (given on its command line, e.g. a worker's HTTP port) as handed out,
    /// so that a port picked later here (its silo's) is never the same one: nothing listens on it yet when the silo
    /// starts first, and the HTTP server's bind then fails.
    /// </summary>
    public static void Reserve(int port)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(port);
        lock (Gate)
        {
            HandedOut.Add(port);
        }
    }

    /// <summary>
    /// The first port of [start, end), from a random point on and wrapping around, that nothing listens on and this
    /// process has not handed out; the kernel's choice (an ephemeral port, with the race above) when there is none.
    /// </summary>
    internal static int Free(int start, int end)
    {
        lock (Gate)
        {
            var count = Math.Max(0, end - start);
            var from = count > 0 ? Random.Shared.Next(count) : 0;
            for (var i = 0; i < count; i++)
            {
                var port = start + ((from + i) % count);
                if (!HandedOut.Contains(port) && CanListen(port))
                {
                    HandedOut.Add(port);
                    return port;
                }
            }

            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var chosen = ((IPEndPoint)listener.LocalEndpoint).Port;
            HandedOut.Add(chosen);
            return chosen;
        }
    }

    /// <summary>The first port of the kernel's ephemeral range (<c>/proc/sys/net/ipv4/ip_local_port_range</c>).</summary>
    internal static int EphemeralStart()
    {
        const string range = "/proc/sys/net/ipv4/ip_local_port_range";
        try
        {
            var first = File.Exists(range) ? File.ReadAllText(range).Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries)[0] : null;
            return first is not null && int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var start) && start > 1024 ? start : DefaultEphemeralStart;
        }
        catch (IOException)
        {
            return DefaultEphemeralStart;
        }
    }

    private static bool CanListen(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
