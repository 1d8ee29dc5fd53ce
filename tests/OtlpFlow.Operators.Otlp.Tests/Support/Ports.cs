using System.Net;
using System.Net.Sockets;

namespace OtlpFlow.Operators.Otlp.Tests.Support;

/// <summary>Loopback ports for peers a test starts later (or never, to play a dead downstream).</summary>
internal static class Ports
{
    /// <summary>A TCP port on 127.0.0.1 that was free a moment ago.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
