using System.Security.Cryptography.X509Certificates;
using OtlpFlow.Operators.Otlp.Protocol;

namespace OtlpFlow.Operators.Otlp.Exporter;

/// <summary>The HTTP handler under both senders: connection pooling and the <c>tls</c> options.</summary>
internal static class ExporterHandler
{
    public static SocketsHttpHandler Create(OtlpExporterOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            EnableMultipleHttp2Connections = true,
        };
        if (options.Tls is not { } tls)
        {
            return handler;
        }

        if (tls.InsecureSkipVerify)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        }
        else if (tls.CaFile is { } caFile)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = TlsFiles.TrustOnly(TlsFiles.LoadAuthorities(caFile));
        }

        if (tls.CertFile is { } certFile)
        {
            handler.SslOptions.ClientCertificates = new X509CertificateCollection { TlsFiles.LoadCertificate(certFile, tls.KeyFile) };
        }

        return handler;
    }
}
