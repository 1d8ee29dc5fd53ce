using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OtlpFlow.Operators.Otlp.Tests.Support;

/// <summary>
/// A private certificate authority with a server certificate for 127.0.0.1 and a client
/// certificate, plus a second, unrelated authority with its own client certificate; all as PEM
/// files in a temporary folder.
/// </summary>
internal sealed class TestCertificates : IDisposable
{
    private readonly TempDirectory _folder = new();

    public TestCertificates()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var ca = Authority("CN=OtlpFlow test CA", caKey);
        CaFile = Write("ca.pem", ca.ExportCertificatePem());
        (ServerCertFile, ServerKeyFile) = Issue(ca, "server", "CN=127.0.0.1", serverAuth: true);
        (ClientCertFile, ClientKeyFile) = Issue(ca, "client", "CN=otlpflow client", serverAuth: false);
        (ServerOnlyCertFile, ServerOnlyKeyFile) = Issue(ca, "server-only", "CN=another server", serverAuth: true);

        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = Authority("CN=Some other CA", otherKey);
        (StrangerCertFile, StrangerKeyFile) = Issue(other, "stranger", "CN=stranger", serverAuth: false);
    }

    public string CaFile { get; }

    public string ServerCertFile { get; }

    public string ServerKeyFile { get; }

    public string ClientCertFile { get; }

    public string ClientKeyFile { get; }

    public string StrangerCertFile { get; }

    /// <summary>Issued by the CA for server authentication only (no clientAuth usage).</summary>
    public string ServerOnlyCertFile { get; }

    public string ServerOnlyKeyFile { get; }

    public string StrangerKeyFile { get; }

    public void Dispose() => _folder.Dispose();

    private static X509Certificate2 Authority(string name, ECDsa key)
    {
        var request = new CertificateRequest(name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(2));
    }

    private (string Cert, string Key) Issue(X509Certificate2 authority, string file, string subject, bool serverAuth)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(serverAuth ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        if (serverAuth)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            names.AddDnsName("localhost");
            request.CertificateExtensions.Add(names.Build());
        }

        var serial = new byte[8];
        RandomNumberGenerator.Fill(serial);
        using var certificate = request.Create(authority, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1), serial);
        return (Write(file + ".pem", certificate.ExportCertificatePem()), Write(file + "-key.pem", key.ExportPkcs8PrivateKeyPem()));
    }

    private string Write(string name, string pem)
    {
        var path = _folder.File(name);
        File.WriteAllText(path, pem);
        return path.Replace('\\', '/');
    }
}
