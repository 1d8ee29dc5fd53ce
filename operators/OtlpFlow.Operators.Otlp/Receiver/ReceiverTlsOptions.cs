namespace OtlpFlow.Operators.Otlp.Receiver;

/// <summary>The <c>tls</c> options of <c>otlp.receiver</c>: TLS on both endpoints, and optionally client certificates (mTLS).</summary>
public sealed class ReceiverTlsOptions
{
    /// <summary>The server certificate, a PEM file. Required when <c>tls</c> is given.</summary>
    public string CertFile { get; set; } = string.Empty;

    /// <summary>The certificate's private key, a PEM file. Default none: the key is in <see cref="CertFile"/>.</summary>
    public string? KeyFile { get; set; }

    /// <summary>
    /// A PEM file of certificate authorities. When set, every client must present a certificate that
    /// chains up to one of them (mutual TLS); others are refused during the handshake. Default none.
    /// </summary>
    public string? ClientCaFile { get; set; }
}
