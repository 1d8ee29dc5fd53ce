namespace OtlpFlow.Operators.Otlp;

/// <summary>
/// An export to an OTLP peer failed. <see cref="IsRetryable"/> says whether the OTLP specification
/// allows sending the same data again; a receiver in <c>delivered</c> mode passes that on to its client.
/// </summary>
public sealed class OtlpExportException : Exception
{
    /// <summary>Creates the exception.</summary>
    public OtlpExportException(string message, bool isRetryable, Exception? innerException = null)
        : base(message, innerException)
    {
        IsRetryable = isRetryable;
    }

    /// <summary>Creates a retryable exception.</summary>
    public OtlpExportException()
        : this("the OTLP export failed", isRetryable: true)
    {
    }

    /// <summary>Creates a retryable exception.</summary>
    public OtlpExportException(string message)
        : this(message, isRetryable: true)
    {
    }

    /// <summary>Creates a retryable exception.</summary>
    public OtlpExportException(string message, Exception innerException)
        : this(message, isRetryable: true, innerException)
    {
    }

    /// <summary>True when sending the same data again may succeed.</summary>
    public bool IsRetryable { get; }
}
