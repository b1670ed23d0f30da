using System.Net;
using System.Net.Sockets;

namespace Elastic.Cli.Tests;

internal static class Ports
{
    /// <summary>A TCP port free on loopback right now.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
