using System.Globalization;
using System.Net;

namespace OtlpFlow.Operators.Otlp.Receiver;

/// <summary>Parses the receiver's <c>host:port</c> endpoints.</summary>
internal static class ReceiverEndpoint
{
    /// <summary>
    /// Parses <c>host:port</c> where host is an IP address (IPv6 in brackets), <c>localhost</c>
    /// (the IPv4 loopback) or empty / <c>0.0.0.0</c> (every interface).
    /// </summary>
    public static bool TryParse(string? text, out IPEndPoint endpoint)
    {
        endpoint = null!;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        if (text.Contains("://", StringComparison.Ordinal))
        {
            text = text[(text.IndexOf("://", StringComparison.Ordinal) + 3)..].TrimEnd('/');
        }

        var colon = text.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            return false;
        }

        var host = text[..colon].Trim('[', ']');
        IPAddress? address = host switch
        {
            "" => IPAddress.Any,
            "localhost" => IPAddress.Loopback,
            _ => IPAddress.TryParse(host, out var parsed) ? parsed : null,
        };
        if (address is null)
        {
            return false;
        }

        endpoint = new IPEndPoint(address, port);
        return true;
    }
}
