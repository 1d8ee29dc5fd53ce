using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace OtlpFlow.Operators.Otlp.Protocol;

/// <summary>Certificates from PEM files, and chain checks against a private certificate authority.</summary>
internal static class TlsFiles
{
    /// <summary>A certificate with its private key, from PEM files (the key may sit in the certificate file).</summary>
    /// <exception cref="InvalidOperationException">A file is missing or not a PEM certificate or key.</exception>
    public static X509Certificate2 LoadCertificate(string certFile, string? keyFile)
    {
        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(certFile, keyFile);

            // A certificate whose key came from PEM is ephemeral; TLS on some platforms needs it
            // exported and loaded again as PKCS#12.
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), password: null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            throw new InvalidOperationException($"cannot load the certificate '{certFile}'{(keyFile is null ? string.Empty : $" with the key '{keyFile}'")}: {ex.Message}", ex);
        }
    }

    /// <summary>The certificates of a PEM bundle, such as a certificate authority's.</summary>
    /// <exception cref="InvalidOperationException">The file is missing or holds no certificate.</exception>
    public static X509Certificate2Collection LoadAuthorities(string caFile)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(caFile);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new InvalidOperationException($"cannot load the certificate authority '{caFile}': {ex.Message}", ex);
        }

        return roots.Count > 0 ? roots : throw new InvalidOperationException($"'{caFile}' holds no PEM certificate");
    }

    /// <summary>Whether <paramref name="certificate"/> chains up to one of <paramref name="roots"/>.</summary>
    public static bool ChainsTo(X509Certificate2 certificate, X509Certificate2Collection roots, string? usage = null)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (usage is not null)
        {
            // The extended key usage the certificate (and its chain) must allow; a certificate with no
            // extended key usage at all allows every use (RFC 5280), as Go's and OpenSSL's checks agree.
            chain.ChainPolicy.ApplicationPolicy.Add(new Oid(usage));
        }

        return chain.Build(certificate);
    }

    /// <summary>The extended key usage of a TLS client certificate (id-kp-clientAuth).</summary>
    public const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";

    /// <summary>The extended key usage of a TLS server certificate (id-kp-serverAuth).</summary>
    public const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";

    /// <summary>
    /// A server check that trusts <paramref name="roots"/> instead of the system's store, keeping the
    /// host name check.
    /// </summary>
    public static RemoteCertificateValidationCallback TrustOnly(X509Certificate2Collection roots) => (_, certificate, _, errors) =>
        certificate is not null
        && (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None
        && ChainsTo(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()), roots, ServerAuthentication);
}
