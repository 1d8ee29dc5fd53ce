using System.ComponentModel.DataAnnotations;

namespace OtlpFlow.Samples.CustomOperator;

/// <summary>Options of the <c>sample.redactEmails</c> operator.</summary>
public sealed class RedactEmailsOptions
{
    /// <summary>
    /// Attribute keys to check; empty (the default) checks every string attribute of resources,
    /// scopes, spans, span events, log records and data points.
    /// </summary>
    public List<string> Keys { get; set; } = [];

    /// <summary>
    /// Mixed into the hash so that a hashed address cannot be found by hashing guesses; default
    /// none. Keep it secret, and the same across instances so that one address hashes alike everywhere.
    /// </summary>
    public string Salt { get; set; } = string.Empty;

    /// <summary>Keep the domain (<c>"3f2a9c0d1b7e4a55@example.com"</c>) so that analysis by domain still works; default false.</summary>
    public bool KeepDomain { get; set; }

    /// <summary>Hex digits of the SHA-256 hash kept (4 to 64); default 16.</summary>
    [Range(4, 64)]
    public int HashLength { get; set; } = 16;
}
