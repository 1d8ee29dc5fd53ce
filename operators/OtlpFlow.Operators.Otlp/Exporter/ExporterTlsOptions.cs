namespace OtlpFlow.Operators.Otlp.Exporter;

/// <summary>
/// The <c>tls</c> options of <c>otlp.exporter</c>, for an <c>https://</c> endpoint: which servers to
/// trust and the client certificate for mutual TLS.
/// </summary>
public sealed class ExporterTlsOptions
{
    /// <summary>
    /// A PEM file of certificate authorities to trust instead of the system's store, such as a
    /// private CA. The host name is still checked. Default none: the system's store.
    /// </summary>
    public string? CaFile { get; set; }

    /// <summary>A client certificate (PEM) presented to a server that asks for one (mTLS). Default none.</summary>
    public string? CertFile { get; set; }

    /// <summary>The client certificate's private key (PEM). Default none: the key is in <see cref="CertFile"/>.</summary>
    public string? KeyFile { get; set; }

    /// <summary>Accepts any server certificate. For tests only: it gives up what TLS is for. Default false.</summary>
    public bool InsecureSkipVerify { get; set; }
}
