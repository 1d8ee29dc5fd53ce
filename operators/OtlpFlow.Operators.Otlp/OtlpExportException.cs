using OtlpFlow.Engine.Operators;

namespace OtlpFlow.Operators.Otlp;

/// <summary>
/// An export to an OTLP peer failed. <see cref="IsRetryable"/> says whether the OTLP specification
/// allows sending the same data again; a receiver in <c>delivered</c> mode passes that on to its client.
/// </summary>
/// <remarks>
/// A non-retryable one is a permanent failure for every operator and assembly: its
/// <see cref="Exception.InnerException"/> is a <see cref="PermanentFailureException"/> (holding the
/// cause, if any), so <see cref="PermanentFailureException.IsPermanent"/> is true for it and
/// receivers answer it with OTLP's "do not retry" codes.
/// </remarks>
public sealed class OtlpExportException : Exception
{
    /// <summary>Creates the exception.</summary>
    public OtlpExportException(string message, bool isRetryable, Exception? innerException = null)
        : base(message, isRetryable ? innerException : Permanent(message, innerException))
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

    private static PermanentFailureException Permanent(string message, Exception? cause) => cause switch
    {
        PermanentFailureException permanent => permanent,
        null => new PermanentFailureException(message),
        _ => new PermanentFailureException(message, cause),
    };
}
