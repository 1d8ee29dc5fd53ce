namespace OtlpFlow.Operators.Arrow.Encoding;

/// <summary>A decoder got a message that is not the next of its stream, so it cannot rebuild the dictionaries.</summary>
public sealed class ArrowStreamGapException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public ArrowStreamGapException() { }

    /// <summary>Creates the exception with a message.</summary>
    public ArrowStreamGapException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public ArrowStreamGapException(string message, Exception innerException) : base(message, innerException) { }
}
