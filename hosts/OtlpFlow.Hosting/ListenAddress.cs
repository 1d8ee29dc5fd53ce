using System.Globalization;
using System.Net;

namespace OtlpFlow.Hosting;

/// <summary>Parses the <c>host:port</c> addresses a host listens on (health endpoints, Prometheus).</summary>
public static class ListenAddress
{
    /// <summary>
    /// Parses <c>host:port</c>, where host is an IP address (IPv6 in brackets) or <c>localhost</c> (the
    /// IPv4 loopback), and port 0 asks for a free port. A leading <c>http://</c> is ignored.
    /// </summary>
    public static bool TryParse(string? text, out IPEndPoint endpoint)
    {
        endpoint = null!;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        var scheme = text.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            text = text[(scheme + 3)..].TrimEnd('/');
        }

        var colon = text.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > IPEndPoint.MaxPort)
        {
            return false;
        }

        var host = text[..colon].Trim('[', ']');
        IPAddress? address = host == "localhost" ? IPAddress.Loopback : IPAddress.TryParse(host, out var parsed) ? parsed : null;
        if (address is null)
        {
            return false;
        }

        endpoint = new IPEndPoint(address, port);
        return true;
    }
}
